package dev.qlora4j.train.monitor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Calls each callback in turn, in the order given. */
public final class CallbackList implements TrainerCallback {
    private final List<TrainerCallback> callbacks;

    public CallbackList(List<? extends TrainerCallback> callbacks) {
        this.callbacks = List.copyOf(callbacks);
    }

    public List<TrainerCallback> callbacks() {
        return callbacks;
    }

    @Override
    public void onTrainBegin(TrainerState state) throws IOException {
        for (TrainerCallback c : callbacks) c.onTrainBegin(state);
    }

    @Override
    public void onStepEnd(TrainerState state) throws IOException {
        for (TrainerCallback c : callbacks) c.onStepEnd(state);
    }

    @Override
    public void onLog(TrainerState state, LogEntry entry) throws IOException {
        for (TrainerCallback c : callbacks) c.onLog(state, entry);
    }

    @Override
    public void onEvaluate(TrainerState state, Map<String, Double> metrics) throws IOException {
        for (TrainerCallback c : callbacks) c.onEvaluate(state, metrics);
    }

    @Override
    public void onSave(TrainerState state, Path checkpoint) throws IOException {
        for (TrainerCallback c : callbacks) c.onSave(state, checkpoint);
    }

    @Override
    public void onTrainEnd(TrainerState state) throws IOException {
        for (TrainerCallback c : callbacks) c.onTrainEnd(state);
    }
}
