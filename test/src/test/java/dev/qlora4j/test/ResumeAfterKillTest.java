package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A training run killed with SIGKILL mid-way and resumed from its latest checkpoint produces the
 * same log history and the same final adapter, bit for bit, as a run that was never interrupted
 * (real subprocesses; shuffled data, LoRA dropout and evaluation, so data order, RNG streams and
 * optimizer state all have to be restored).
 */
class ResumeAfterKillTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path LLAMA = Fixture.ROOT.resolve("llama");

    private static Path config(Path dir) throws IOException {
        ObjectNode cfg = JSON.createObjectNode()
                .put("model_name_or_path", LLAMA.resolve("model").toAbsolutePath().toString())
                .put("output_dir", dir.resolve("out").toString())
                .put("train_file", LLAMA.resolve("train.jsonl").toAbsolutePath().toString())
                .put("validation_split", 0.2).put("max_length", 48)
                .put("per_device_train_batch_size", 2).put("gradient_accumulation_steps", 2)
                .put("max_steps", 14).put("learning_rate", 3e-3).put("warmup_steps", 2).put("lr_scheduler_type", "cosine")
                .put("weight_decay", 0.01).put("logging_steps", 1).put("eval_strategy", "steps").put("eval_steps", 3)
                .put("save_steps", 1).put("save_total_limit", 3).put("seed", 7).put("report_to", "none");
        cfg.putObject("lora").put("r", 4).put("lora_alpha", 8).put("lora_dropout", 0.1).putArray("target_modules").add("q_proj").add("v_proj");
        return Files.writeString(dir.resolve("run.json"), cfg.toString());
    }

    private static ProcessBuilder trainProcess(Path config, Path log, String... extra) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.qlora4j.train.cli.Main", "train", "--config", config.toString()));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    }

    private static void runToEnd(ProcessBuilder pb) throws Exception {
        Process p = pb.start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(pb.redirectOutput().file().toPath())).isZero();
    }

    @Test
    void resumedRunEqualsTheUninterruptedOne(@TempDir Path a, @TempDir Path b) throws Exception {
        runToEnd(trainProcess(config(a), a.resolve("log.txt")));

        Path cfgB = config(b), outB = b.resolve("out");
        Process p = trainProcess(cfgB, b.resolve("log1.txt")).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Files.isDirectory(outB.resolve("checkpoint-6")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        p.destroyForcibly();   // SIGKILL: no shutdown hooks, wherever it is
        p.waitFor();
        assertThat(Files.exists(outB.resolve("trainer_state.json"))).as("killed before the end").isFalse();
        runToEnd(trainProcess(cfgB, b.resolve("log2.txt"), "--set", "resume_from_checkpoint=true"));
        assertThat(Files.readString(b.resolve("log2.txt"))).contains("resuming from");

        JsonNode ha = JSON.readTree(a.resolve("out/trainer_state.json").toFile()).get("log_history");
        JsonNode hb = JSON.readTree(outB.resolve("trainer_state.json").toFile()).get("log_history");
        assertThat(hb.toString()).isEqualTo(ha.toString());
        assertThat(Files.readAllBytes(outB.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(a.resolve("out/adapter_model.safetensors")));

        // asked again, it says the run is done and exits 0
        runToEnd(trainProcess(cfgB, b.resolve("log3.txt"), "--set", "resume_from_checkpoint=true"));
        assertThat(Files.readString(b.resolve("log3.txt"))).contains("training already finished");
        assertThat(new File(outB.toFile(), "checkpoint-14")).isDirectory();
    }
}
