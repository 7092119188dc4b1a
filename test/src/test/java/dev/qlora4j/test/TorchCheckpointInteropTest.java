package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.trainer.Trainer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A checkpoint's optimizer.pt and scheduler.pt load into torch.optim.AdamW and LambdaLR as HF
 * Trainer's resume loads them, with our moments and learning-rate position. Needs a Python with
 * torch and numpy (skipped without one, as the GPU tests skip without a GPU).
 */
class TorchCheckpointInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The first of these that imports torch and numpy, or null. */
    private static String pythonWithTorch() {
        for (String python : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import torch, numpy").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) return python;
            } catch (IOException | InterruptedException e) {
                // try the next
            }
        }
        return null;
    }

    private static ObjectNode config(Path out, int maxSteps) {
        ObjectNode cfg = JSON.createObjectNode()
                .put("model_name_or_path", Fixture.ROOT.resolve("llama/model").toString())
                .put("train_file", Fixture.ROOT.resolve("llama/train.jsonl").toString())
                .put("output_dir", out.toString()).put("max_steps", maxSteps).put("per_device_train_batch_size", 2)
                .put("learning_rate", 1e-3).put("lr_scheduler_type", "cosine").put("warmup_steps", 1)
                .put("weight_decay", 0.01).put("logging_steps", 1).put("save_steps", 2).put("report_to", "none");
        cfg.putObject("lora").put("r", 4).put("lora_alpha", 8).put("lora_dropout", 0.0)
                .putArray("target_modules").add("q_proj").add("v_proj").add("down_proj");
        return cfg;
    }

    private static void train(ObjectNode cfg) throws IOException {
        new Trainer(TrainingConfigParser.parse(cfg, "test"), new PrintStream(OutputStream.nullOutputStream()), List.of()).train();
    }

    /**
     * Checkpoint 4 of a 6-step run, with only what HF Trainer writes (no optimizer.safetensors, no
     * rng_state.json; dropout is off), resumed in a new folder ends with the run's own adapter, bit for bit.
     */
    private static void assertResumesLikeTheUninterruptedRun(Path tmp, Path out) throws IOException {
        Path from = out.resolve("checkpoint-4"), resumed = tmp.resolve("resumed");
        Files.delete(from.resolve("optimizer.safetensors"));
        Files.delete(from.resolve("rng_state.json"));
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) Files.copy(f, resumed.resolve("checkpoint-4").resolve(from.relativize(f).toString()));
        }
        train((ObjectNode) config(resumed, 6).put("resume_from_checkpoint", true));
        assertThat(Files.readAllBytes(resumed.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(out.resolve("adapter_model.safetensors")));
    }

    @Test
    void ourOptimizerPtAloneResumesARun(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        train(config(out, 6));
        Files.createDirectories(tmp.resolve("resumed"));
        assertResumesLikeTheUninterruptedRun(tmp, out);
    }

    /** Runs torch_resume_check.py on a checkpoint of a cosine run with 1 warmup step; its JSON line. */
    private JsonNode check(String python, Path tmp, Path checkpoint, String total, String... extra) throws Exception {
        Path script = tmp.resolve("check.py");
        try (var in = getClass().getResourceAsStream("/torch_resume_check.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new java.util.ArrayList<>(List.of(python, script.toString(), checkpoint.toString(), "cosine", "1", total));
        command.addAll(List.of(extra));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        String[] lines = output.strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    @Test
    void torchResumesOurCheckpointWithOurMomentsAndSchedule(@TempDir Path tmp) throws Exception {
        String python = pythonWithTorch();
        Assumptions.assumeTrue(python != null, "no Python with torch and numpy here");
        Path out = tmp.resolve("out");
        train(config(out, 5));

        JsonNode r = check(python, tmp, out.resolve("checkpoint-4"), "5");

        int layers = 2, modules = 3;
        assertThat(r.get("params").asInt()).isEqualTo(layers * modules * 2);
        assertThat(r.get("groups").asInt()).isEqualTo(2);
        assertThat(r.get("step").asDouble()).isEqualTo(4);
        assertThat(r.get("max_moment_diff").asDouble()).as("the same float32 moments").isZero();
        assertThat(r.get("weight_decay").asDouble()).isEqualTo(0.01);
        assertThat(r.get("last_epoch").asInt()).isEqualTo(5);
        // the rate torch applies next is the one our step 5 applied (trainer_state's log_history)
        double step5 = 0;
        for (JsonNode e : JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history"))
            if (e.path("step").asInt() == 5 && e.has("learning_rate")) step5 = e.get("learning_rate").asDouble();
        assertThat(step5).isPositive();
        assertThat(r.get("lr_next").asDouble()).isCloseTo(step5, within(1e-12));
        assertThat(r.get("lr_after").asDouble()).as("HF's cosine at the end of the run").isCloseTo(0, within(1e-12));
    }

    @Test
    void weResumeACheckpointWhoseOptimizerStateTorchWrote(@TempDir Path tmp) throws Exception {
        String python = pythonWithTorch();
        Assumptions.assumeTrue(python != null, "no Python with torch and numpy here");
        Path out = tmp.resolve("out");
        train(config(out, 6));
        byte[] ours = Files.readAllBytes(out.resolve("checkpoint-4/optimizer.pt"));
        check(python, tmp, out.resolve("checkpoint-4"), "6", "--resave");
        assertThat(Files.readAllBytes(out.resolve("checkpoint-4/optimizer.pt"))).as("rewritten by torch.save").isNotEqualTo(ours);
        Files.createDirectories(tmp.resolve("resumed"));
        assertResumesLikeTheUninterruptedRun(tmp, out);
    }
}
