package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.trainer.Trainer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trainer reproduces transformers' Trainer + PEFT on the fixtures' deterministic LoRA SFT runs
 * (training_run.json): loss and grad_norm of every optimizer step within 1e-4 relative, the
 * learning rate exactly, and the final adapter close to adapter_trained.
 */
class TrainingRunParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2"})
    void reproducesTheReferenceRun(String fixture, @TempDir Path out) throws IOException {
        Path dir = Fixture.ROOT.resolve(fixture);
        JsonNode run = JSON.readTree(dir.resolve("training_run.json").toFile()), c = run.get("config");
        checkCpuRun(referenceConfig(dir, c, out), c, run, dir, out);
    }

    /** The reference run's settings as a config. */
    private static ObjectNode referenceConfig(Path dir, JsonNode c, Path out) {
        return JSON.createObjectNode()
                .put("model_name_or_path", dir.resolve("model").toString())
                .put("output_dir", out.toString())
                .put("train_file", dir.resolve("train.jsonl").toString())
                .put("adapter_name_or_path", dir.resolve(c.get("start_adapter").asText()).toString())
                .put("per_device_train_batch_size", c.get("micro_batch_size").asInt())
                .put("gradient_accumulation_steps", c.get("gradient_accumulation_steps").asInt())
                .put("num_train_epochs", c.get("epochs").asDouble())
                .put("learning_rate", c.get("learning_rate").asDouble())
                .put("warmup_steps", c.get("warmup_steps").asInt())
                .put("lr_scheduler_type", c.get("lr_scheduler").asText())
                .put("max_grad_norm", c.get("max_grad_norm").asDouble())
                .put("weight_decay", c.get("weight_decay").asDouble())
                .put("adam_beta1", c.get("adam_betas").get(0).asDouble())
                .put("adam_beta2", c.get("adam_betas").get(1).asDouble())
                .put("adam_epsilon", c.get("adam_eps").asDouble())
                .put("max_length", c.get("max_length").asInt())
                .put("shuffle", c.get("shuffle").asBoolean())
                .put("logging_steps", 1)
                .put("save_strategy", "no")
                .put("report_to", "none");
    }

    /**
     * The same runs with {@code device: cuda} (on the CPU emulator; on a real GPU where one is):
     * bf16 activations, so each step's loss within 1 % and grad_norm within 5 % of the reference
     * (the differences of the gradients, see GpuParityTest, compound over 15 steps); the learning
     * rates exactly; the final adapter within 5 % relative L2 of PEFT's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama:emulator", "gemma2:emulator", "llama:gpu", "gemma2:gpu"})
    void reproducesTheReferenceRunOnTheGpu(String fixtureAndDevice, @TempDir Path out) throws IOException {
        String fixture = fixtureAndDevice.split(":")[0], kind = fixtureAndDevice.split(":")[1];
        GpuDevices.open(kind).close();   // skips where that device is not
        Path dir = Fixture.ROOT.resolve(fixture);
        JsonNode run = JSON.readTree(dir.resolve("training_run.json").toFile()), c = run.get("config");
        ObjectNode cfg = referenceConfig(dir, c, out).put("device", "cuda");
        String before = System.getProperty("qlora4j.cuda");
        if (kind.equals("emulator")) System.setProperty("qlora4j.cuda", "emulator");
        try {
            new Trainer(TrainingConfigParser.parse(cfg, "parity"), new PrintStream(OutputStream.nullOutputStream()), List.of()).train();
        } finally {
            if (before == null) System.clearProperty("qlora4j.cuda");
            else System.setProperty("qlora4j.cuda", before);
        }
        JsonNode history = JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history"), want = run.get("history");
        assertThat(history).hasSize(want.size());
        for (int i = 0; i < want.size(); i++) {
            JsonNode w = want.get(i), g = history.get(i);
            assertThat(g.get("learning_rate").asDouble()).as("step %d lr", i + 1).isEqualTo(w.get("lr").asDouble());
            assertThat(g.get("loss").asDouble()).as("step %d loss", i + 1)
                    .isCloseTo(w.get("loss").asDouble(), org.assertj.core.data.Percentage.withPercentage(1));
            assertThat(g.get("grad_norm").asDouble()).as("step %d grad_norm", i + 1)
                    .isCloseTo(w.get("grad_norm").asDouble(), org.assertj.core.data.Percentage.withPercentage(5));
        }
        Path trained = dir.resolve("adapter_trained").resolve("adapter_model.safetensors");
        try (SafetensorsFile ours = SafetensorsFile.open(out.resolve("adapter_model.safetensors")); SafetensorsFile ref = SafetensorsFile.open(trained)) {
            for (String k : ref.names()) {
                float[] a = ours.copyOf(k).toFloatArray(), b = ref.copyOf(k).toFloatArray();
                double err = 0, norm = 0;
                for (int j = 0; j < b.length; j++) {
                    err += (a[j] - b[j]) * (double) (a[j] - b[j]);
                    norm += b[j] * (double) b[j];
                }
                assertThat(Math.sqrt(err / norm)).as("%s: relative L2 distance to PEFT's trained adapter", k).isLessThan(0.05);
            }
        }
    }

    private static void checkCpuRun(ObjectNode cfg, JsonNode c, JsonNode run, Path dir, Path out) throws IOException {
        TrainingConfig config = TrainingConfigParser.parse(cfg, "parity");
        Trainer.Result r = new Trainer(config, new PrintStream(OutputStream.nullOutputStream()), List.of()).train();
        assertThat(r.globalStep()).isEqualTo(c.get("total_steps").asLong());

        JsonNode history = JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history");
        JsonNode want = run.get("history");
        assertThat(history).hasSize(want.size());
        for (int i = 0; i < want.size(); i++) {
            JsonNode w = want.get(i), g = history.get(i);
            assertThat(g.get("step").asLong()).isEqualTo(w.get("step").asLong());
            assertThat(g.get("epoch").asDouble()).isEqualTo(w.get("epoch").asDouble());
            assertThat(g.get("learning_rate").asDouble()).as("step %d lr", i + 1).isEqualTo(w.get("lr").asDouble());
            assertThat(g.get("loss").asDouble()).as("step %d loss", i + 1)
                    .isCloseTo(w.get("loss").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-2));
            assertThat(g.get("grad_norm").asDouble()).as("step %d grad_norm", i + 1)
                    .isCloseTo(w.get("grad_norm").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-2));
        }

        // the final adapter: within a small tolerance of PEFT's after 15 AdamW steps
        Path trained = dir.resolve("adapter_trained").resolve("adapter_model.safetensors");
        assertThat(trained).as("PEFT's trained adapter of the reference run").isRegularFile();
        try (SafetensorsFile ours = SafetensorsFile.open(out.resolve("adapter_model.safetensors")); SafetensorsFile ref = SafetensorsFile.open(trained)) {
            assertThat(ours.names()).containsExactlyInAnyOrderElementsOf(ref.names());
            for (String k : ref.names()) {
                float[] a = ours.copyOf(k).toFloatArray(), b = ref.copyOf(k).toFloatArray();
                double scale = 0;
                for (float v : b) scale = Math.max(scale, Math.abs(v));
                for (int j = 0; j < b.length; j++)
                    assertThat((double) a[j]).as(k + "[" + j + "]").isCloseTo(b[j], org.assertj.core.data.Offset.offset(1e-4 * scale));
            }
        }
    }
}
