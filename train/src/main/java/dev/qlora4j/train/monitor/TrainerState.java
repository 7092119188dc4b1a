package dev.qlora4j.train.monitor;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What callbacks may read of a running training (HF's {@code TrainerState}, the part callbacks use).
 * The trainer implements it or hands out {@link Snapshot}s.
 */
public interface TrainerState {
    /** Optimizer steps done. */
    long globalStep();

    /** Fractional epoch reached. */
    double epoch();

    /** Optimizer steps the run will take in all. */
    long maxSteps();

    /** Every training and evaluation log so far, oldest first (including those before a resume). */
    List<LogEntry> logHistory();

    Path outputDir();

    /** The best value of {@code metric_for_best_model} so far. */
    OptionalDouble bestMetric();

    /** The checkpoint folder that holds it. */
    Optional<Path> bestModelCheckpoint();

    record Snapshot(long globalStep, double epoch, long maxSteps, List<LogEntry> logHistory, Path outputDir,
                    OptionalDouble bestMetric, Optional<Path> bestModelCheckpoint) implements TrainerState {
        public Snapshot {
            logHistory = List.copyOf(logHistory);
        }
    }
}
