package dev.qlora4j.train.report;

import dev.qlora4j.model.chat.PyJson;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The final numbers of a training run, written as {@code training_metrics.json} under the names
 * Hugging Face's Trainer gives them ({@code speed_metrics("train", ...)} plus {@code train_loss},
 * {@code epoch} and the last evaluation's {@code eval_*} metrics).
 *
 * @param runtimeSeconds wall-clock seconds of the training loop
 * @param steps          optimizer steps the rates are computed over (HF uses max_steps)
 * @param samples        training examples the rate is computed over
 * @param tokens         tokens the rate is computed over; negative when not counted
 * @param trainLoss      mean training loss over the run (HF: sum of step losses / global step)
 * @param epoch          epoch reached
 * @param evalMetrics    last evaluation, keys as logged ({@code eval_loss}, {@code eval_perplexity}, ...)
 * @param allReduceSeconds of the runtime, the seconds spent summing over the ranks of a
 *                       distributed run ({@code train_all_reduce_runtime}, ours); NaN for one process
 */
public record TrainingMetrics(double runtimeSeconds, long steps, long samples, long tokens, double trainLoss,
                              double epoch, Map<String, Double> evalMetrics, double allReduceSeconds) {
    public TrainingMetrics {
        evalMetrics = Map.copyOf(evalMetrics);
    }

    public TrainingMetrics(double runtimeSeconds, long steps, long samples, long tokens, double trainLoss, double epoch,
                           Map<String, Double> evalMetrics) {
        this(runtimeSeconds, steps, samples, tokens, trainLoss, epoch, evalMetrics, Double.NaN);
    }

    /**
     * The metrics as HF computes them: runtime rounded to 4 decimals, each rate to 3 (Python's
     * {@code round}, i.e. of the exact binary value, ties to even); no rates for a zero runtime.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("train_runtime", round(runtimeSeconds, 4));
        if (runtimeSeconds != 0) {
            m.put("train_samples_per_second", round(samples / runtimeSeconds, 3));
            m.put("train_steps_per_second", round(steps / runtimeSeconds, 3));
            if (tokens >= 0) m.put("train_tokens_per_second", round(tokens / runtimeSeconds, 3));
        }
        if (Double.isFinite(allReduceSeconds)) m.put("train_all_reduce_runtime", round(allReduceSeconds, 4));
        m.put("train_loss", trainLoss);
        m.put("epoch", epoch);
        m.putAll(evalMetrics);
        return m;
    }

    /** As HF's {@code save_metrics}: sorted keys, indent 4, Python's number format. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, new PyJson("    ", null, true, true).write(toMap()));
    }

    static double round(double value, int decimals) {
        if (!Double.isFinite(value)) return value;
        return new BigDecimal(value).setScale(decimals, RoundingMode.HALF_EVEN).doubleValue();
    }
}
