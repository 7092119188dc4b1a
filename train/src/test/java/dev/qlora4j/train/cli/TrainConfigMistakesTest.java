package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of config mistake, through {@code train}: one {@code error:} line with every problem, exit code 2,
 * and no model file opened. The model folder's files are garbage (opening any of them would be another error) and
 * {@code output_dir} must not appear.
 */
class TrainConfigMistakesTest {
    private static final Path LLAMA_CONFIG = Path.of("..", "fixtures", "hf", "llama", "model", "config.json");

    @TempDir
    Path tmp;
    private Path model, out;

    @BeforeEach
    void garbageModelFolder() throws IOException {
        model = Files.createDirectories(tmp.resolve("model"));
        for (String f : new String[]{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
            Files.writeString(model.resolve(f), "not what it claims to be");
        Files.writeString(tmp.resolve("train.jsonl"), "not JSON lines");
        out = tmp.resolve("out");
    }

    private ObjectNode config() {
        ObjectNode n = Cli.JSON.createObjectNode().put("model_name_or_path", model.toString()).put("output_dir", out.toString())
                .put("train_file", tmp.resolve("train.jsonl").toString()).put("report_to", "none");
        n.putObject("lora").put("r", 4).putArray("target_modules").add("q_proj").add("v_proj");
        return n;
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("unknown top-level key", (Consumer<ObjectNode>) n -> n.put("learning_rat", 1e-4),
                        "unknown key \"learning_rat\" (did you mean \"learning_rate\"?)"),
                Arguments.of("unknown lora key", (Consumer<ObjectNode>) n -> ((ObjectNode) n.get("lora")).put("lora_alpah", 32),
                        "unknown key \"lora.lora_alpah\" (did you mean \"lora_alpha\"?)"),
                Arguments.of("unknown quantization key", (Consumer<ObjectNode>) n -> n.putObject("quantization").put("load_in_4bit", true)
                                .put("bnb_4bit_quant_type", "nf4").put("bnb_4bit_compute_type", "bfloat16"),
                        "unknown key \"quantization.bnb_4bit_compute_type\" (did you mean \"bnb_4bit_compute_dtype\"?)"),
                Arguments.of("unknown monitor key", (Consumer<ObjectNode>) n -> n.putObject("monitor").put("max_gapp", 0.5),
                        "unknown key \"monitor.max_gapp\" (did you mean \"max_gap\"?)"),
                Arguments.of("key of a block at the top level", (Consumer<ObjectNode>) n -> n.put("lora_dropout", 0.1),
                        "unknown key \"lora_dropout\" (it belongs in the \"lora\" block)"),
                Arguments.of("wrong type", (Consumer<ObjectNode>) n -> n.put("num_train_epochs", "three"),
                        "\"num_train_epochs\" must be a number (got \"three\")"),
                Arguments.of("wrong type in a block", (Consumer<ObjectNode>) n -> ((ObjectNode) n.get("lora")).put("r", "16"),
                        "\"lora.r\" must be an integer (got \"16\")"),
                Arguments.of("out of range", (Consumer<ObjectNode>) n -> n.put("warmup_ratio", 1.5),
                        "\"warmup_ratio\" must be a number in [0, 1] (got 1.5)"),
                Arguments.of("out of range in a block", (Consumer<ObjectNode>) n -> ((ObjectNode) n.get("lora")).put("lora_dropout", 1),
                        "\"lora.lora_dropout\" must be a number in [0, 1) (got 1)"),
                Arguments.of("unknown enum value", (Consumer<ObjectNode>) n -> n.put("save_strategy", "step"),
                        "\"save_strategy\" must be one of no, steps, epoch, best (got \"step\"; did you mean \"steps\"?)"),
                Arguments.of("conflicting keys", (Consumer<ObjectNode>) n -> n.put("eval_strategy", "steps"),
                        "\"eval_strategy\": \"steps\" needs an evaluation set (\"eval_file\", \"validation_split\" or \"fold\")"),
                Arguments.of("old and new name together", (Consumer<ObjectNode>) n -> n.put("max_length", 512).put("max_seq_length", 256),
                        "give \"max_length\" or its old name \"max_seq_length\", not both"),
                Arguments.of("several at once", (Consumer<ObjectNode>) n -> {
                            n.put("optim", "adamw_8bitt").put("per_device_train_batch_size", 0);
                            n.putObject("monitor").put("enabled", "yes");
                        },
                        "\"per_device_train_batch_size\" must be an integer ≥ 1 (got 0); \"optim\" must be one of adamw_torch, "
                                + "adamw_torch_fused, adamw_hf, paged_adamw_32bit, adamw_8bit, paged_adamw_8bit, adamw_bnb_8bit "
                                + "(got \"adamw_8bitt\"; did you mean \"adamw_8bit\"?); \"monitor.enabled\" must be true or false (got \"yes\")"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void isOneLineWithStatus2BeforeAnyModelFileIsRead(String kind, Consumer<ObjectNode> mistake, String problems) throws IOException {
        ObjectNode cfg = config();
        mistake.accept(cfg);
        Path file = Files.writeString(tmp.resolve("run.json"), cfg.toPrettyString());
        Cli.Run r = Cli.run("train", file.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: " + problems + " (" + file + ")\n");
        assertThat(r.out()).isEmpty();
        assertThat(out).as("nothing written").doesNotExist();
    }

    @Test
    void aTargetModuleThatMatchesNothingIsAnErrorAtConfigJsonBeforeTheWeights() throws IOException {
        Files.copy(LLAMA_CONFIG, model.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectNode cfg = config();
        ((ObjectNode) cfg.get("lora")).putArray("target_modules").add("q_proj").add("v_projj").add("gate");
        Path file = Files.writeString(tmp.resolve("run.json"), cfg.toPrettyString());
        Cli.Run r = Cli.run("train", file.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: \"lora.target_modules\": \"v_projj\" matches no module of the model (did you mean \"v_proj\"?); "
                + "\"lora.target_modules\": \"gate\" matches no module of the model (each layer has q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) (" + model.resolve("config.json") + ")\n");
        assertThat(out).as("nothing written").doesNotExist();

        ((ObjectNode) cfg.get("lora")).putArray("target_modules").add("q_proj");
        ((ObjectNode) cfg.get("lora")).putArray("layers_to_transform").add(0).add(7);
        Files.writeString(file, cfg.toPrettyString());
        r = Cli.run("train", file.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: \"lora.layers_to_transform\": layer 7 does not exist (the model has ");
    }
}
