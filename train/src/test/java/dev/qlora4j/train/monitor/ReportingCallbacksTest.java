package dev.qlora4j.train.monitor;

import dev.qlora4j.train.report.EventFileReader;
import dev.qlora4j.train.report.LossPlot;
import dev.qlora4j.train.report.MemoryMonitor;
import dev.qlora4j.train.report.TensorBoardWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportingCallbacksTest {
    @TempDir
    Path out;

    @Test
    void tensorBoardTagsFollowHuggingFacesRewriteAndMemoryComesWithTrainingLogs() throws IOException {
        TensorBoardWriter writer = new TensorBoardWriter(out.resolve("runs"));
        CallbackList callbacks = new CallbackList(List.of(new TensorBoardCallback(writer, new MemoryMonitor())));
        FakeTrainer trainer = new FakeTrainer(out, 100);
        trainer.run(callbacks, 0, 100, step -> 2.0 - step / 100.0, step -> 2.5 - step / 100.0);
        // flushed at each log: readable before the end
        List<String> tags = tags(Files.readAllBytes(writer.file()));
        trainer.end(callbacks, 100);
        assertThat(tags).contains("train/loss", "train/grad_norm", "train/learning_rate", "train/epoch",
                "eval/loss", "eval/perplexity", "memory/heap_used_mib", "memory/mapped_mib");
        assertThat(tags.stream().filter(t -> t.equals("train/loss")).count()).isEqualTo(10);
        assertThat(tags.stream().filter(t -> t.equals("eval/loss")).count()).isEqualTo(2);
        assertThat(tags.stream().filter(t -> t.equals("memory/heap_used_mib")).count()).isEqualTo(10);
        assertThatThrownBy(() -> writer.scalar("x", 1, 1)).as("closed at train end").isInstanceOf(IOException.class);
    }

    @Test
    void rewriteMapsPrefixesAsHuggingFaceDoes() {
        Map<String, Double> logs = new LinkedHashMap<>();
        logs.put("loss", 1.0);
        logs.put("eval_loss", 2.0);
        logs.put("test_accuracy", 0.5);
        logs.put("train_runtime", 3.0);
        logs.put("evaluation", 4.0);
        assertThat(TensorBoardCallback.rewrite(logs)).containsExactly(Map.entry("train/loss", 1.0), Map.entry("eval/loss", 2.0),
                Map.entry("test/accuracy", 0.5), Map.entry("train/train_runtime", 3.0), Map.entry("train/evaluation", 4.0));
    }

    @Test
    void lossPlotIsRedrawnAtEachEvaluation() throws IOException {
        Path png = out.resolve("loss.png");
        FakeTrainer trainer = new FakeTrainer(out, 100);
        LossPlotCallback plot = new LossPlotCallback(png);
        trainer.run(plot, 0, 49, step -> 1.0, step -> 1.2);
        assertThat(png).doesNotExist();
        trainer.run(plot, 49, 50, step -> 1.0, step -> 1.2);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(LossPlot.WIDTH);
        assertThat(image.getHeight()).isEqualTo(LossPlot.HEIGHT);
    }

    @Test
    void logEntriesSerializeInHuggingFacesLogHistoryOrder() {
        assertThat(LogEntry.train(10, 0.5, 2.0, 1.5, 1e-4).toJsonMap()).containsExactly(Map.entry("loss", 2.0),
                Map.entry("grad_norm", 1.5), Map.entry("learning_rate", 1e-4), Map.entry("epoch", 0.5), Map.entry("step", 10L));
        LogEntry eval = new LogEntry(50, 1.0, Map.of("eval_loss", 1.0));
        assertThat(eval.isEval()).isTrue();
        assertThat(eval.isTrain()).isFalse();
        assertThat(eval.get("eval_loss")).hasValue(1.0);
        assertThat(eval.get("loss")).isEmpty();
    }

    @Test
    void callbackListCallsEachInOrder() throws IOException {
        List<String> calls = new ArrayList<>();
        TrainerCallback a = new Recorder("a", calls), b = new Recorder("b", calls);
        CallbackList list = new CallbackList(List.of(a, b));
        FakeTrainer trainer = new FakeTrainer(out, 10);
        list.onTrainBegin(trainer.state(0));
        list.onSave(trainer.state(10), out.resolve("checkpoint-10"));
        list.onTrainEnd(trainer.state(10));
        assertThat(calls).containsExactly("a begin", "b begin", "a save checkpoint-10", "b save checkpoint-10", "a end", "b end");
    }

    private record Recorder(String name, List<String> calls) implements TrainerCallback {
        @Override
        public void onTrainBegin(TrainerState state) {
            calls.add(name + " begin");
        }

        @Override
        public void onSave(TrainerState state, Path checkpoint) {
            calls.add(name + " save " + checkpoint.getFileName());
        }

        @Override
        public void onTrainEnd(TrainerState state) {
            calls.add(name + " end");
        }
    }

    private static List<String> tags(byte[] file) {
        return EventFileReader.read(file).stream().flatMap(e -> e.values().stream()).map(EventFileReader.Value::tag).toList();
    }
}
