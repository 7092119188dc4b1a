package dev.qlora4j.train.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class MonitorTest {
    @TempDir
    Path out;

    private final List<Path> saved = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    /** What the trainer's saver does, in miniature: a folder with an adapter file. */
    private final CheckpointSaver saver = dir -> {
        assertThat(dir).doesNotExist();
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("adapter_model.safetensors"), "weights");
        saved.add(dir);
    };

    // train losses 1.0 ± 0.1 and eval losses 1.2 ± 0.1 (by call parity): gap 0.2, variances 0.01
    private static final LongToDoubleFunction TRAIN = step -> 1.0 + ((step / 10) % 2 == 0 ? 0.1 : -0.1);
    private static final LongToDoubleFunction BALANCED_EVAL = step -> 1.2 + ((step / 50) % 2 == 0 ? 0.1 : -0.1);

    private Monitor monitor(MonitorSettings settings) {
        return new Monitor(settings, saver, log::add);
    }

    private List<String> stableDirs() throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("stable_checkpoint-")).sorted().toList();
        }
    }

    private static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    @Test
    void savesWhenBalancedAtLeastOneHundredStepsApart() throws IOException {
        FakeTrainer trainer = new FakeTrainer(out, 700);
        Monitor monitor = monitor(MonitorSettings.DEFAULTS);
        trainer.run(monitor, 0, 700, TRAIN, BALANCED_EVAL);
        // the 10th evaluation (step 500) is the first with enough history; 550 and 650 are too close
        assertThat(saved).extracting(p -> p.getFileName().toString())
                .containsExactly("stable_checkpoint-500", "stable_checkpoint-600", "stable_checkpoint-700");
        assertThat(log).anyMatch(l -> l.startsWith("monitor step 550 ") && l.endsWith("state balanced"))
                .anyMatch(l -> l.contains("only 50 steps back"));

        JsonNode metrics = json(out.resolve("stable_checkpoint-600").resolve(Monitor.METRICS_FILE));
        assertThat(metrics.get("step").asLong()).isEqualTo(600);
        assertThat(metrics.get("metrics").get("state").asText()).isEqualTo("balanced");
        assertThat(metrics.get("metrics").get("loss_gap").asDouble()).isBetween(0.1, 0.3);
        assertThat(metrics.get("metrics").get("grad_norm_mean").asDouble()).isEqualTo(0.5);
        assertThat(metrics.get("eval_metrics").get("eval_loss").asDouble()).isEqualTo(BALANCED_EVAL.applyAsDouble(600));
        assertThat(metrics.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}");
        assertThat(out.resolve("stable_checkpoint-600").resolve("adapter_model.safetensors")).exists();
    }

    @Test
    void anUnbalancedRunSavesNothingAndSaysWhy() throws IOException {
        FakeTrainer trainer = new FakeTrainer(out, 1000);
        Monitor monitor = monitor(MonitorSettings.DEFAULTS);
        trainer.run(monitor, 0, 1000, TRAIN, step -> 1.6 + ((step / 50) % 2 == 0 ? 0.1 : -0.1)); // gap 0.6
        trainer.end(monitor, 1000);
        assertThat(saved).isEmpty();
        assertThat(monitor.lastAssessment().orElseThrow().state()).isEqualTo(Assessment.State.GAP_ABOVE_RANGE);
        assertThat(log.getLast()).endsWith("state gap_above_range");
        JsonNode summary = json(out.resolve(Monitor.SUMMARY_FILE));
        assertThat(summary.get("total_checkpoints").asInt()).isZero();
        assertThat(summary.get("checkpoints")).isEmpty();
    }

    @Test
    void keepsTheFiveNewestAndSummarisesThem() throws IOException {
        FakeTrainer trainer = new FakeTrainer(out, 1200);
        Monitor monitor = monitor(MonitorSettings.DEFAULTS);
        trainer.run(monitor, 0, 1200, TRAIN, BALANCED_EVAL);
        trainer.end(monitor, 1200);
        assertThat(saved).hasSize(8); // 500, 600, ..., 1200
        assertThat(stableDirs()).containsExactly("stable_checkpoint-1000", "stable_checkpoint-1100", "stable_checkpoint-1200",
                "stable_checkpoint-800", "stable_checkpoint-900");
        assertThat(monitor.stableCheckpoints()).extracting(Monitor.StableCheckpoint::step).containsExactly(800L, 900L, 1000L, 1100L, 1200L);
        assertThat(log).contains("monitor: removed stable_checkpoint-500 (keeping 5)");

        JsonNode summary = json(out.resolve(Monitor.SUMMARY_FILE));
        assertThat(summary.get("total_checkpoints").asInt()).isEqualTo(5);
        List<Long> steps = new ArrayList<>();
        for (JsonNode c : summary.get("checkpoints")) {
            steps.add(c.get("step").asLong());
            assertThat(Path.of(c.get("path").asText())).isEqualTo(out.resolve("stable_checkpoint-" + c.get("step").asLong()));
            assertThat(c.get("metrics").get("state").asText()).isEqualTo("balanced");
            assertThat(c.get("eval_metrics").has("eval_perplexity")).isTrue();
        }
        assertThat(steps).containsExactly(800L, 900L, 1000L, 1100L, 1200L);
    }

    @Test
    void settingsChangeSpacingAndRetention() throws IOException {
        MonitorSettings s = new MonitorSettings(true, 5, 10, 0.1, 0.3, 0.1, 0.7, 2, 0);
        FakeTrainer trainer = new FakeTrainer(out, 650);
        trainer.run(monitor(s), 0, 650, TRAIN, BALANCED_EVAL);
        assertThat(saved).extracting(p -> p.getFileName().toString())
                .containsExactly("stable_checkpoint-500", "stable_checkpoint-550", "stable_checkpoint-600", "stable_checkpoint-650");
        assertThat(stableDirs()).containsExactly("stable_checkpoint-600", "stable_checkpoint-650");
    }

    @Test
    void aResumedRunCountsTheStableCheckpointsAlreadyThere() throws IOException {
        FakeTrainer first = new FakeTrainer(out, 1300);
        first.run(monitor(MonitorSettings.DEFAULTS), 0, 900, TRAIN, BALANCED_EVAL); // keeps 500..900
        saved.clear();
        Monitor resumed = monitor(MonitorSettings.DEFAULTS);
        resumed.onTrainBegin(first.state(900));
        assertThat(resumed.stableCheckpoints()).extracting(Monitor.StableCheckpoint::step).containsExactly(500L, 600L, 700L, 800L, 900L);
        assertThat(resumed.stableCheckpoints().getFirst().metrics()).containsEntry("state", "balanced");
        first.run(resumed, 900, 1000, TRAIN, BALANCED_EVAL);
        // 950 is too close to 900, which the earlier run saved
        assertThat(saved).extracting(p -> p.getFileName().toString()).containsExactly("stable_checkpoint-1000");
        assertThat(stableDirs()).containsExactly("stable_checkpoint-1000", "stable_checkpoint-600", "stable_checkpoint-700",
                "stable_checkpoint-800", "stable_checkpoint-900");
    }

    @Test
    void theAssessmentDoesNotDependOnWhetherTheEvalWasLoggedFirst() throws IOException {
        List<String> lines = new ArrayList<>();
        for (boolean logFirst : new boolean[] {true, false}) {
            log.clear();
            Path dir = out.resolve("run-" + logFirst);
            FakeTrainer trainer = new FakeTrainer(dir, 600);
            trainer.logEvalFirst = logFirst;
            trainer.run(new Monitor(MonitorSettings.DEFAULTS, saver, log::add), 0, 600, TRAIN, BALANCED_EVAL);
            lines.add(String.join("\n", log));
        }
        assertThat(lines.get(1)).isEqualTo(lines.get(0));
    }

    @Test
    void aDisabledMonitorWritesNothing() throws IOException {
        MonitorSettings off = new MonitorSettings(false, 5, 10, 0.1, 0.3, 0.1, 0.7, 5, 100);
        FakeTrainer trainer = new FakeTrainer(out, 700);
        Monitor monitor = monitor(off);
        trainer.run(monitor, 0, 700, TRAIN, BALANCED_EVAL);
        trainer.end(monitor, 700);
        assertThat(saved).isEmpty();
        assertThat(log).isEmpty();
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void aFolderWithoutMetricsStillCountsAndRotatesAway() throws IOException {
        Files.createDirectories(out.resolve("stable_checkpoint-100"));
        MonitorSettings keepOne = new MonitorSettings(true, 5, 10, 0.1, 0.3, 0.1, 0.7, 1, 100);
        FakeTrainer trainer = new FakeTrainer(out, 500);
        trainer.run(monitor(keepOne), 0, 500, TRAIN, BALANCED_EVAL);
        assertThat(log).anyMatch(l -> l.contains("stable_checkpoint-100 has no readable stability_metrics.json"));
        assertThat(stableDirs()).containsExactly("stable_checkpoint-500");
    }
}
