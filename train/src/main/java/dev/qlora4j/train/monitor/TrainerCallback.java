package dev.qlora4j.train.monitor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Hooks into the training loop under HF's {@code TrainerCallback} names; every method does
 * nothing unless overridden. The trainer calls them in this order of events: train begin; per
 * optimizer step, step end, then a log at logging steps; an evaluation (after its metrics were
 * logged) and a save when due; train end.
 */
public interface TrainerCallback {
    default void onTrainBegin(TrainerState state) throws IOException {}

    /** After each optimizer step; {@code state.globalStep()} is the step just done. */
    default void onStepEnd(TrainerState state) throws IOException {}

    /** After {@code entry} was appended to the log history (training logs and evaluation results). */
    default void onLog(TrainerState state, LogEntry entry) throws IOException {}

    /** After an evaluation; metrics under their logged names ({@code eval_loss}, {@code eval_perplexity}, ...). */
    default void onEvaluate(TrainerState state, Map<String, Double> metrics) throws IOException {}

    /** After the trainer wrote {@code checkpoint} (a {@code checkpoint-N} folder). */
    default void onSave(TrainerState state, Path checkpoint) throws IOException {}

    default void onTrainEnd(TrainerState state) throws IOException {}
}
