package dev.qlora4j.train.monitor;

import dev.qlora4j.train.report.MemoryMonitor;
import dev.qlora4j.train.report.TensorBoardWriter;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sends every log to TensorBoard as HF's {@code TensorBoardCallback} does: keys renamed by its
 * {@code rewrite_logs} ({@code eval_x} → {@code eval/x}, {@code test_x} → {@code test/x}, anything
 * else → {@code train/x}, the epoch included), at the log's step, flushed at once so a running
 * TensorBoard follows. With a {@link MemoryMonitor}, each training log also writes the memory
 * scalars ({@code memory/*}). Closes the writer when training ends.
 */
public final class TensorBoardCallback implements TrainerCallback {
    private final TensorBoardWriter writer;
    private final MemoryMonitor memory;

    /** @param memory null for no memory scalars */
    public TensorBoardCallback(TensorBoardWriter writer, MemoryMonitor memory) {
        this.writer = writer;
        this.memory = memory;
    }

    @Override
    public void onLog(TrainerState state, LogEntry entry) throws IOException {
        Map<String, Double> logs = new LinkedHashMap<>(entry.values());
        logs.put("epoch", entry.epoch());
        writer.scalars(rewrite(logs), entry.step());
        if (memory != null && entry.isTrain()) writer.scalars(memory.sample().scalars(), entry.step());
        writer.flush();
    }

    @Override
    public void onTrainEnd(TrainerState state) throws IOException {
        writer.close();
    }

    static Map<String, Double> rewrite(Map<String, Double> logs) {
        Map<String, Double> out = new LinkedHashMap<>();
        logs.forEach((k, v) -> {
            if (k.startsWith("eval_")) out.put("eval/" + k.substring(5), v);
            else if (k.startsWith("test_")) out.put("test/" + k.substring(5), v);
            else out.put("train/" + k, v);
        });
        return out;
    }
}
