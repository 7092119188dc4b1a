package dev.qlora4j.train.monitor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.LongToDoubleFunction;

/** Drives callbacks the way the trainer will: logs every 10 steps, evaluates every 50. */
final class FakeTrainer {
    final Path outputDir;
    final List<LogEntry> history = new ArrayList<>();
    final long maxSteps;
    /** true: the eval entry is in the history before onEvaluate (HF's order); false: after. */
    boolean logEvalFirst = true;

    FakeTrainer(Path outputDir, long maxSteps) {
        this.outputDir = outputDir;
        this.maxSteps = maxSteps;
    }

    TrainerState state(long step) {
        return new TrainerState.Snapshot(step, step / 100.0, maxSteps, history, outputDir, OptionalDouble.empty(), Optional.empty());
    }

    /** Runs steps {@code from+1 .. to}; the loss functions get the step. */
    void run(TrainerCallback cb, long from, long to, LongToDoubleFunction trainLoss, LongToDoubleFunction evalLoss) throws IOException {
        if (from == 0) cb.onTrainBegin(state(0));
        for (long step = from + 1; step <= to; step++) {
            cb.onStepEnd(state(step));
            if (step % 10 == 0) {
                LogEntry e = LogEntry.train(step, step / 100.0, trainLoss.applyAsDouble(step), 0.5, 1e-4);
                history.add(e);
                cb.onLog(state(step), e);
            }
            if (step % 50 == 0) {
                Map<String, Double> metrics = new LinkedHashMap<>();
                double loss = evalLoss.applyAsDouble(step);
                metrics.put("eval_loss", loss);
                metrics.put("eval_perplexity", Math.exp(loss));
                LogEntry e = new LogEntry(step, step / 100.0, metrics);
                if (logEvalFirst) {
                    history.add(e);
                    cb.onLog(state(step), e);
                    cb.onEvaluate(state(step), metrics);
                } else {
                    cb.onEvaluate(state(step), metrics);
                    history.add(e);
                    cb.onLog(state(step), e);
                }
            }
        }
    }

    void end(TrainerCallback cb, long step) throws IOException {
        cb.onTrainEnd(state(step));
    }
}
