package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.trainer.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code device: cuda} through the trainer, on the CPU emulator of the GPU: QLoRA (NF4 with double
 * quantization) follows the CPU's QLoRA run; LoRA dropout masks are fixed by seed and step, so a
 * run resumed from a checkpoint continues exactly as the uninterrupted run.
 */
@Timeout(600)
class GpuTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @BeforeAll
    static void emulator() {
        GpuDevices.open("emulator").close();   // skips without g++
        System.setProperty("qlora4j.cuda", "emulator");
    }

    @AfterAll
    static void done() {
        System.clearProperty("qlora4j.cuda");
    }

    private static ObjectNode qlora(Path out, String device, double dropout) {
        ObjectNode cfg = JSON.createObjectNode()
                .put("model_name_or_path", Fixture.ROOT.resolve("llama/model").toString())
                .put("output_dir", out.toString()).put("train_file", Fixture.ROOT.resolve("llama/train.jsonl").toString())
                .put("max_length", 48).put("per_device_train_batch_size", 2).put("gradient_accumulation_steps", 2)
                .put("max_steps", 6).put("learning_rate", 5e-3).put("lr_scheduler_type", "constant")
                .put("gradient_checkpointing", true).put("logging_steps", 1).put("save_strategy", "no").put("report_to", "none")
                .put("device", device).put("seed", 5);
        cfg.putObject("quantization").put("load_in_4bit", true).put("bnb_4bit_quant_type", "nf4")
                .put("bnb_4bit_use_double_quant", true).put("bnb_4bit_compute_dtype", "bfloat16");
        cfg.putObject("lora").put("r", 8).put("lora_alpha", 16).put("lora_dropout", dropout).put("target_modules", "all-linear");
        return cfg;
    }

    private static JsonNode train(ObjectNode cfg) throws IOException {
        return train(cfg, QUIET);
    }

    private static JsonNode train(ObjectNode cfg, PrintStream out) throws IOException {
        new Trainer(TrainingConfigParser.parse(cfg, "test"), out, List.of()).train();
        return JSON.readTree(Path.of(cfg.get("output_dir").asText()).resolve("trainer_state.json").toFile()).get("log_history");
    }

    @Test
    void qloraFollowsTheCpuRun(@TempDir Path tmp) throws IOException {
        var log = new java.io.ByteArrayOutputStream();
        JsonNode cpu = train(qlora(tmp.resolve("cpu"), "cpu", 0)), gpu = train(qlora(tmp.resolve("gpu"), "cuda", 0), new PrintStream(log, true));
        // the run names its device, and the memory lines carry the device's allocator figures
        assertThat(log.toString()).contains("device: cuda:0 (CPU emulator)").containsPattern("cuda:0 allocated [0-9.]+ [KMG]?i?B, reserved");
        assertThat(gpu).hasSameSizeAs(cpu);
        for (int i = 0; i < cpu.size(); i++) {
            assertThat(gpu.get(i).get("loss").asDouble()).as("step %d loss", i + 1)
                    .isCloseTo(cpu.get(i).get("loss").asDouble(), org.assertj.core.data.Percentage.withPercentage(1));
            assertThat(gpu.get(i).get("grad_norm").asDouble()).as("step %d grad_norm", i + 1)
                    .isCloseTo(cpu.get(i).get("grad_norm").asDouble(), org.assertj.core.data.Percentage.withPercentage(5));
        }
        assertThat(gpu.get(gpu.size() - 1).get("loss").asDouble()).as("it learns").isLessThan(gpu.get(0).get("loss").asDouble());
    }

    @Test
    void dropoutRunsResumeExactly(@TempDir Path tmp) throws IOException {
        JsonNode whole = train(qlora(tmp.resolve("whole"), "cuda", 0.1));
        Path split = tmp.resolve("split");
        train(qlora(split, "cuda", 0.1).put("max_steps", 3).put("save_strategy", "steps").put("save_steps", 3));
        JsonNode resumed = train(qlora(split, "cuda", 0.1).put("resume_from_checkpoint", "latest"));
        assertThat(resumed).hasSameSizeAs(whole);
        for (int i = 0; i < whole.size(); i++)
            assertThat(resumed.get(i).get("loss").asDouble()).as("step %d loss", i + 1).isEqualTo(whole.get(i).get("loss").asDouble());
        try (SafetensorsFile a = SafetensorsFile.open(tmp.resolve("whole/adapter_model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(split.resolve("adapter_model.safetensors"))) {
            for (String k : a.names()) assertThat(b.copyOf(k).toFloatArray()).as(k).isEqualTo(a.copyOf(k).toFloatArray());
        }
    }
}
