package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.train.config.TrainingConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** eval_on_start: an evaluation logged at step 0 that cannot be the best model. */
class EvalOnStartTest {
    private static final Path LLAMA = Path.of("..", "fixtures", "hf", "llama");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theBaseModelIsEvaluatedAtStepZeroAndNeverPickedAsBest(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        ObjectNode c = JSON.createObjectNode().put("model_name_or_path", LLAMA.resolve("model").toString())
                .put("train_file", LLAMA.resolve("train.jsonl").toString()).put("output_dir", out.toString())
                .put("validation_split", 0.25).put("max_steps", 2).put("per_device_train_batch_size", 2)
                .put("learning_rate", 0.0).put("eval_strategy", "steps").put("eval_steps", 1).put("save_steps", 1)
                .put("eval_on_start", true).put("load_best_model_at_end", true).put("report_to", "none");
        c.putObject("lora").put("r", 4);
        new Trainer(TrainingConfigParser.parse(c, "test"), new PrintStream(OutputStream.nullOutputStream()), List.of()).train();
        JsonNode state = JSON.readTree(out.resolve("trainer_state.json").toFile());
        List<Integer> evalSteps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        for (JsonNode e : state.get("log_history"))
            if (e.has("eval_loss")) {
                evalSteps.add(e.get("step").asInt());
                losses.add(e.get("eval_loss").asDouble());
            }
        assertThat(evalSteps).containsExactly(0, 1, 2);
        // learning rate 0: all three equal, and the best is the first one that has a checkpoint
        assertThat(losses.get(0)).isEqualTo(losses.get(1));
        assertThat(state.get("best_global_step").asInt()).isEqualTo(1);
        assertThat(state.get("best_model_checkpoint").asText()).endsWith("checkpoint-1");

        c.put("eval_strategy", "no").put("load_best_model_at_end", false);
        assertThatThrownBy(() -> TrainingConfigParser.parse(c, "run.json")).hasMessageContaining("\"eval_on_start\" needs evaluation");
    }

    @Test
    void loggingStrategyEpochLogsAtEachEpochsEnd(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        // 20 rows, 4 a step: 5 steps an epoch, 2 epochs
        ObjectNode c = JSON.createObjectNode().put("model_name_or_path", LLAMA.resolve("model").toString())
                .put("train_file", LLAMA.resolve("train.jsonl").toString()).put("output_dir", out.toString())
                .put("num_train_epochs", 2).put("per_device_train_batch_size", 4).put("logging_strategy", "epoch")
                .put("logging_steps", 1).put("save_strategy", "no").put("report_to", "none");
        c.putObject("lora").put("r", 4);
        new Trainer(TrainingConfigParser.parse(c, "test"), new PrintStream(OutputStream.nullOutputStream()), List.of()).train();
        List<Integer> logged = new ArrayList<>();
        for (JsonNode e : JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history"))
            if (e.has("loss")) logged.add(e.get("step").asInt());
        assertThat(logged).containsExactly(5, 10);
    }
}
