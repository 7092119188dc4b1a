package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.trainer.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** End-to-end training features on the fixture models: classification, QLoRA, outputs, best model, rotation, Ctrl-C. */
class TrainerFeaturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** An arena-style CSV of n rows built from a few prompts and answers. */
    private static Path arenaCsv(Path dir, int n) throws IOException {
        String[] prompts = {"What is justice?", "Is lying wrong?", "What is courage?", "Can virtue be taught?"};
        String[] answers = {"It is fairness to all.", "Who knows?", "Always, yes.", "Sometimes it is kind.", "Let us ask what we mean."};
        StringBuilder csv = new StringBuilder("id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n");
        for (int i = 0; i < n; i++) {
            int w = i % 3;
            csv.append(i).append(",a,b,\"[\"\"").append(prompts[i % prompts.length]).append("\"\"]\",\"[\"\"")
                    .append(answers[i % answers.length]).append("\"\"]\",\"[\"\"").append(answers[(i + 2) % answers.length])
                    .append("\"\"]\",").append(w == 0 ? 1 : 0).append(',').append(w == 1 ? 1 : 0).append(',').append(w == 2 ? 1 : 0).append('\n');
        }
        return Files.writeString(dir.resolve("arena.csv"), csv);
    }

    @Test
    void classificationWithBestModelRotationAndOutputs(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        ObjectNode cfg = JSON.createObjectNode()
                .put("model_name_or_path", Fixture.ROOT.resolve("gemma2-seqcls/model").toString())
                .put("output_dir", out.toString()).put("train_file", arenaCsv(tmp, 40).toString())
                .put("data_format", "preference_pair").put("fold", 0).put("num_folds", 5).put("max_length", 64)
                .put("per_device_train_batch_size", 4).put("per_device_eval_batch_size", 4).put("max_steps", 8)
                .put("learning_rate", 2e-3).put("optim", "adamw_8bit").put("logging_steps", 1)
                .put("eval_strategy", "steps").put("eval_steps", 2).put("save_steps", 2).put("save_total_limit", 1)
                .put("load_best_model_at_end", true).put("metric_for_best_model", "log_loss").put("seed", 3);
        cfg.putObject("lora").put("r", 4).put("lora_alpha", 8).put("layers_to_transform", 1).putArray("target_modules").add("q_proj").add("v_proj");
        Trainer.Result r = new Trainer(TrainingConfigParser.parse(cfg, "test"), QUIET, List.of()).train();
        assertThat(r.globalStep()).isEqualTo(8);

        JsonNode state = JSON.readTree(out.resolve("trainer_state.json").toFile());
        List<JsonNode> evals = new ArrayList<>();
        state.get("log_history").forEach(e -> {
            if (e.has("eval_loss")) evals.add(e);
        });
        assertThat(evals).hasSize(4);
        assertThat(evals.getFirst().has("eval_accuracy")).isTrue();
        double best = evals.stream().mapToDouble(e -> e.get("eval_log_loss").asDouble()).min().orElseThrow();
        assertThat(state.get("best_metric").asDouble()).isEqualTo(best);
        String bestCkpt = state.get("best_model_checkpoint").asText();
        // rotation with a limit of 1 keeps the best and the last
        List<String> kept = names(out).stream().filter(n -> n.startsWith("checkpoint-")).toList();
        assertThat(kept).contains(Path.of(bestCkpt).getFileName().toString(), "checkpoint-8").hasSizeLessThanOrEqualTo(2);
        assertThat(out.resolve("best_model/adapter_model.safetensors")).exists();
        JsonNode info = JSON.readTree(out.resolve("best_model_info.json").toFile());
        assertThat(info.get("best_metric").asDouble()).isEqualTo(best);
        assertThat(Files.readAllBytes(out.resolve("adapter_model.safetensors")))
                .as("the final adapter is the best one, as HF's load_best_model_at_end leaves it")
                .isEqualTo(Files.readAllBytes(out.resolve("best_model/adapter_model.safetensors")));
        // the head is trained too (modules_to_save for SEQ_CLS) and saved under PEFT's key
        assertThat(JSON.readTree(out.resolve("adapter_config.json").toFile()).get("modules_to_save").toString()).contains("score");
        assertThat(names(out.resolve("checkpoint-8"))).contains("adapter_config.json", "adapter_model.safetensors", "optimizer.safetensors",
                "scheduler.json", "rng_state.json", "trainer_state.json", "training_config.json");
        assertThat(out.resolve("loss.png")).exists();
        assertThat(names(out.resolve("runs"))).anyMatch(n -> n.startsWith("events.out.tfevents."));
        JsonNode metrics = JSON.readTree(out.resolve("training_metrics.json").toFile());
        assertThat(metrics.has("train_runtime")).isTrue();
        assertThat(metrics.has("train_loss")).isTrue();
    }

    @Test
    void qloraWithGradientCheckpointingTrains(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        ObjectNode cfg = JSON.createObjectNode()
                .put("model_name_or_path", Fixture.ROOT.resolve("llama/model").toString())
                .put("output_dir", out.toString()).put("train_file", Fixture.ROOT.resolve("llama/train.jsonl").toString())
                .put("max_length", 48).put("per_device_train_batch_size", 4).put("gradient_accumulation_steps", 2)
                .put("num_train_epochs", 4).put("learning_rate", 1e-2).put("warmup_ratio", 0.1).put("lr_scheduler_type", "cosine")
                .put("gradient_checkpointing", true).put("logging_steps", 1).put("save_strategy", "no").put("report_to", "none")
                .put("train_on_responses_only", true);
        cfg.putObject("quantization").put("load_in_4bit", true).put("bnb_4bit_quant_type", "nf4")
                .put("bnb_4bit_use_double_quant", true).put("bnb_4bit_compute_dtype", "bfloat16");
        cfg.putObject("lora").put("r", 8).put("lora_alpha", 16).put("lora_dropout", 0.05).put("target_modules", "all-linear");
        new Trainer(TrainingConfigParser.parse(cfg, "test"), QUIET, List.of()).train();
        JsonNode history = JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history");
        assertThat(history.size()).isEqualTo(12);
        double first = history.get(0).get("loss").asDouble(), last = history.get(history.size() - 1).get("loss").asDouble();
        assertThat(last).as("the 4-bit model's adapters learn").isLessThan(first);
        assertThat(out.resolve("adapter_model.safetensors")).exists();
    }

    @Test
    void ctrlCSavesACheckpointAndStops(@TempDir Path tmp) throws Exception {
        // a shell starts background jobs with SIGINT ignored, the child JVM inherits that, and no handler can undo it
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this process (a background job?), so the trainer cannot see Ctrl-C");
        Path out = tmp.resolve("out");
        ObjectNode cfg = JSON.createObjectNode()
                .put("model_name_or_path", Fixture.ROOT.resolve("llama/model").toAbsolutePath().toString())
                .put("output_dir", out.toString()).put("train_file", Fixture.ROOT.resolve("llama/train.jsonl").toAbsolutePath().toString())
                .put("max_length", 48).put("per_device_train_batch_size", 1).put("max_steps", 100000)
                .put("save_strategy", "no").put("report_to", "none").put("logging_steps", 1);
        cfg.putObject("lora").put("r", 4).putArray("target_modules").add("q_proj");
        Path config = Files.writeString(tmp.resolve("run.json"), cfg.toString()), log = tmp.resolve("log.txt");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.qlora4j.train.cli.Main", "train", "--config", config.toString(), "--json")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.readString(log).contains("step 3/") && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        String printed = Files.readString(log);
        assertThat(p.exitValue()).as(printed).isZero();
        assertThat(printed).contains("checkpoint saved").contains("\"interrupted\":true");
        List<String> checkpoints = names(out).stream().filter(n -> n.startsWith("checkpoint-")).toList();
        assertThat(checkpoints).hasSize(1);
        assertThat(JSON.readTree(out.resolve(checkpoints.getFirst()).resolve("trainer_state.json").toFile()).get("global_step").asLong())
                .isGreaterThanOrEqualTo(3);
    }

    /** Whether this process inherited SIGINT as ignored (Linux: bit 1 of /proc/self/status' SigIgn mask). */
    private static boolean sigintIgnored() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) return false;
        for (String line : Files.readAllLines(status))
            if (line.startsWith("SigIgn:")) return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & 2L) != 0;
        return false;
    }
}
