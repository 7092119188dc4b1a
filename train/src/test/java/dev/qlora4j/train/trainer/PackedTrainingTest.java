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
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** packing / padding_free through the trainer: one optimizer step over every row, packed or padded, is the same step. */
class PackedTrainingTest {
    private static final Path LLAMA = Path.of("..", "fixtures", "hf", "llama");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode config(Path out) {
        // 20 rows in one micro-batch: the single step sees every row however they are batched
        ObjectNode c = JSON.createObjectNode().put("model_name_or_path", LLAMA.resolve("model").toString())
                .put("train_file", LLAMA.resolve("train.jsonl").toString()).put("output_dir", out.toString())
                .put("max_steps", 1).put("per_device_train_batch_size", 20).put("shuffle", false).put("max_length", 96)
                .put("train_on_responses_only", true).put("logging_steps", 1).put("save_strategy", "no").put("report_to", "none");
        c.putObject("lora").put("r", 4).put("lora_alpha", 8).putArray("target_modules").add("q_proj").add("v_proj").add("down_proj");
        return c;
    }

    private static JsonNode firstLog(ObjectNode c) throws IOException {
        new Trainer(TrainingConfigParser.parse(c, "test"), new PrintStream(OutputStream.nullOutputStream()), List.of()).train();
        for (JsonNode e : JSON.readTree(Path.of(c.get("output_dir").asText()).resolve("trainer_state.json").toFile()).get("log_history"))
            if (e.has("loss")) return e;
        throw new AssertionError("no loss logged");
    }

    @Test
    void aPackedStepEqualsThePaddedStep(@TempDir Path tmp) throws IOException {
        JsonNode padded = firstLog(config(tmp.resolve("padded")));
        sameStep(padded, firstLog(config(tmp.resolve("bfd")).put("packing", true).put("packing_strategy", "bfd")));
        sameStep(padded, firstLog(config(tmp.resolve("checkpointed")).put("packing", true).put("gradient_checkpointing", true)));
        sameStep(padded, firstLog(config(tmp.resolve("free")).put("padding_free", true)));
    }

    private static void sameStep(JsonNode padded, JsonNode packed) {
        for (String k : List.of("loss", "grad_norm"))
            assertThat(packed.get(k).asDouble()).as(k).isCloseTo(padded.get(k).asDouble(), within(1e-5 * padded.get(k).asDouble()));
    }

    @Test
    void packingMistakesAreOneLineBeforeAnythingLoads(@TempDir Path tmp) {
        assertThatThrownBy(() -> TrainingConfigParser.parse(config(tmp).put("packing", true).put("padding_free", false), "run.json"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("\"padding_free\": false does not go with \"packing\": true (packs are always padding-free here) (run.json)");
        assertThatThrownBy(() -> TrainingConfigParser.parse(config(tmp).put("packing_strategy", "wrapped"), "run.json"))
                .hasMessage("\"packing_strategy\" needs \"packing\": true (run.json)");
        assertThatThrownBy(() -> TrainingConfigParser.parse(config(tmp).put("packing", true).put("packing_strategy", "ffd"), "run.json"))
                .hasMessageStartingWith("\"packing_strategy\"");
        ObjectNode classifier = config(tmp.resolve("out")).put("packing", true)
                .put("model_name_or_path", Path.of("..", "fixtures", "hf", "llama-seqcls", "model").toString());
        classifier.remove("train_on_responses_only");
        assertThatThrownBy(() -> new Trainer(TrainingConfigParser.parse(classifier, "run.json"), new PrintStream(OutputStream.nullOutputStream()),
                List.of()).train())
                .isInstanceOf(BadInputException.class)
                .hasMessage("applies to causal LM data, not to LlamaForSequenceClassification, a sequence classifier (its score is read at "
                        + "each row's last token) (packing)");
        assertThat(tmp.resolve("out")).doesNotExist();
    }
}
