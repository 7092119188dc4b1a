package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.config.TrainingConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HF's EarlyStoppingCallback rule, and a run that stops by it. */
class EarlyStoppingTest {
    private static final Path LLAMA = Path.of("..", "fixtures", "hf", "llama");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void counterGrowsUntilAnImprovementBeyondTheThreshold() {
        EarlyStopping lower = new EarlyStopping(2, 0.0, false);
        assertThat(lower.counter(List.of(3.0))).isZero();                 // the first evaluation is the best so far
        assertThat(lower.counter(List.of(3.0, 3.0))).isEqualTo(1);        // equal is no improvement
        assertThat(lower.counter(List.of(3.0, 3.5, 2.9))).isZero();
        assertThat(lower.shouldStop(List.of(3.0, 3.5, 3.2))).isTrue();
        // with a threshold, a small gain still counts against patience, but it becomes the best to beat
        EarlyStopping strict = new EarlyStopping(3, 0.1, false);
        assertThat(strict.counter(List.of(3.0, 2.95, 2.9, 2.86))).isEqualTo(3);
        assertThat(strict.counter(List.of(3.0, 2.95, 2.8))).isZero();   // 0.15 below the best so far (2.95): an improvement
        assertThat(strict.counter(List.of(3.0, 2.85))).isZero();
        EarlyStopping greater = new EarlyStopping(1, 0.0, true);
        assertThat(greater.shouldStop(List.of(0.5, 0.6))).isFalse();
        assertThat(greater.shouldStop(List.of(0.5, 0.6, 0.6))).isTrue();
    }

    private static ObjectNode config(Path out) {
        ObjectNode c = JSON.createObjectNode().put("model_name_or_path", LLAMA.resolve("model").toString())
                .put("train_file", LLAMA.resolve("train.jsonl").toString()).put("output_dir", out.toString())
                .put("validation_split", 0.25).put("max_steps", 10).put("per_device_train_batch_size", 2)
                .put("learning_rate", 0.0).put("eval_strategy", "steps").put("eval_steps", 1).put("save_steps", 1)
                .put("load_best_model_at_end", true).put("early_stopping_patience", 2).put("report_to", "none");
        c.putObject("lora").put("r", 4);
        return c;
    }

    @Test
    void aRunWhoseMetricStallsStopsAfterPatienceEvaluationsAndKeepsTheBest(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        Trainer.Result r = new Trainer(TrainingConfigParser.parse(config(out), "test"), new PrintStream(OutputStream.nullOutputStream()),
                List.of()).train();
        // learning rate 0: every evaluation equals the first, so evaluations 2 and 3 are no improvement
        assertThat(r.stoppedEarly()).isTrue();
        assertThat(r.globalStep()).isEqualTo(3);
        JsonNode state = JSON.readTree(out.resolve("trainer_state.json").toFile());
        assertThat(state.get("best_model_checkpoint").asText()).endsWith("checkpoint-1");
        assertThat(out.resolve("best_model/adapter_model.safetensors")).isRegularFile();
        assertThat(Files.readAllBytes(out.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(out.resolve("checkpoint-1/adapter_model.safetensors")));
    }

    @Test
    void patienceNeedsTheBestModelAtTheEnd() {
        ObjectNode c = config(Path.of("o")).put("load_best_model_at_end", false);
        assertThatThrownBy(() -> TrainingConfigParser.parse(c, "run.json")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("\"early_stopping_patience\" needs \"load_best_model_at_end\": true and evaluation");
    }
}
