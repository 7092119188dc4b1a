package dev.qlora4j.train.monitor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One entry of the log history, as HF's {@code TrainerState.log_history} holds it: the logged
 * values under HF's keys ({@code loss}, {@code grad_norm}, {@code learning_rate} for a training
 * log; {@code eval_loss}, {@code eval_perplexity}, ... for an evaluation), the epoch and the step.
 */
public record LogEntry(long step, double epoch, Map<String, Double> values) {
    public LogEntry {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** A training log: {@code {loss, grad_norm, learning_rate}}. */
    public static LogEntry train(long step, double epoch, double loss, double gradNorm, double learningRate) {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("loss", loss);
        v.put("grad_norm", gradNorm);
        v.put("learning_rate", learningRate);
        return new LogEntry(step, epoch, v);
    }

    public OptionalDouble get(String key) {
        Double v = values.get(key);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    public boolean isTrain() {
        return values.containsKey("loss");
    }

    public boolean isEval() {
        return values.containsKey("eval_loss");
    }

    /**
     * The entry as HF appends it to {@code log_history}: the values in their order, then
     * {@code epoch}, then {@code step} (an integer).
     */
    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>(values);
        m.put("epoch", epoch);
        m.put("step", step);
        return m;
    }
}
