package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Data-parallel training with real {@code mpirun} subprocesses (Open MPI): a 2-rank run equals the
 * 1-rank run with the same global batch (per device × accumulation × ranks) step by step, on the
 * CPU and on the GPU emulator's NCCL path; a rank killed with SIGKILL ends the job, and the run
 * resumes from its last checkpoint on the uninterrupted curve; a rank that stops answering is
 * timed out; ranks with different configs are refused.
 *
 * <p>Where {@code mpirun} is missing these tests are skipped on a developer machine, never in CI
 * ({@code CI=true}), where .ci/run installs Debian's openmpi-bin.
 */
class DataParallelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path LLAMA = Fixture.ROOT.resolve("llama");

    @BeforeAll
    static void needsMpirun() throws Exception {
        boolean present;
        try {
            Process p = new ProcessBuilder("mpirun", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            present = false;
        }
        if ("true".equals(System.getenv("CI"))) assertTrue(present, "CI must have mpirun (.ci/run installs openmpi-bin)");
        assumeTrue(present, "mpirun not found: install Debian's openmpi-bin to run the distributed tests");
    }

    /** rows of {"text", "label"} for the classifier fixture, 3 labels. */
    private static Path classifierRows(Path dir, int n) throws IOException {
        String[] words = {"justice", "courage", "virtue", "wisdom", "honesty", "friendship", "law"};
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++)
            s.append(JSON.writeValueAsString(Map.of("text", "What is " + words[i % words.length] + "? Case " + i + " of " + words[(i * 3) % words.length],
                    "label", i % 3))).append('\n');
        return Files.writeString(dir.resolve("cls.jsonl"), s);
    }

    /**
     * A run config: 20 llama rows (16 train, 4 eval) or 19 classifier rows (15 / 4), batches of 3,
     * so that epochs end with partial micro-batches and partial global steps; "packed": the llama rows
     * packed (BFD) into packs of 160 tokens, batches of 3 packs, 4 epochs.
     */
    private static Path config(Path dir, String task, String name, int accumulation, String device) throws IOException {
        boolean causal = !task.equals("classifier");   // "causal", or "packed": causal with packing
        ObjectNode cfg = JSON.createObjectNode()
                .put("model_name_or_path", (causal ? LLAMA : Fixture.ROOT.resolve("llama-seqcls")).resolve("model").toAbsolutePath().toString())
                .put("output_dir", dir.resolve(name).toString())
                .put("train_file", causal ? LLAMA.resolve("train.jsonl").toAbsolutePath().toString() : classifierRows(dir, 19).toString())
                .put("validation_split", 0.2).put("max_length", 40)
                .put("per_device_train_batch_size", 3).put("per_device_eval_batch_size", 3).put("gradient_accumulation_steps", accumulation)
                .put("num_train_epochs", 2).put("learning_rate", 3e-3).put("warmup_steps", 1).put("lr_scheduler_type", "cosine")
                .put("weight_decay", 0.01).put("max_grad_norm", 0.5).put("logging_steps", 1).put("eval_strategy", "steps").put("eval_steps", 2)
                .put("save_steps", 2).put("seed", 11).put("report_to", "none").put("device", device);
        if (task.equals("packed")) cfg.put("packing", true).put("max_length", 160).put("num_train_epochs", 4);   // 2-3 rows a pack
        cfg.putObject("lora").put("r", 4).put("lora_alpha", 8).put("lora_dropout", 0.1).putArray("target_modules").add("q_proj").add("v_proj");
        return Files.writeString(dir.resolve(name + ".json"), cfg.toString());
    }

    private static List<String> java(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.qlora4j.train.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static ProcessBuilder process(List<String> cmd, Path log, boolean emulator) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        pb.environment().put("OMPI_MCA_rmaps_base_oversubscribe", "1");
        if (emulator) pb.environment().put("QLORA4J_CUDA", "emulator");
        return pb;
    }

    /** {@code mpirun -np ranks java … Main train CONFIG extra…}; ranks 1 runs the plain process. */
    private static List<String> train(int ranks, Path config, String... extra) {
        List<String> cmd = new ArrayList<>();
        if (ranks > 1) cmd.addAll(List.of("mpirun", "-np", Integer.toString(ranks), "-x", "QLORA4J_CUDA"));
        List<String> args = new ArrayList<>(List.of("train", config.toString()));
        args.addAll(List.of(extra));
        cmd.addAll(java(args.toArray(String[]::new)));
        return cmd;
    }

    private static String run(ProcessBuilder pb, int expectedStatus) throws Exception {
        Process p = pb.start();
        assertThat(p.waitFor(8, TimeUnit.MINUTES)).as("finished").isTrue();
        String log = Files.readString(pb.redirectOutput().file().toPath());
        assertThat(p.exitValue()).as(log).isEqualTo(expectedStatus);
        return log;
    }

    private static JsonNode history(Path out) throws IOException {
        return JSON.readTree(out.resolve("trainer_state.json").toFile()).get("log_history");
    }

    /** Every logged loss, grad_norm and eval metric within 1e-5 relative; learning rates and steps equal. */
    private static void assertSameCurve(JsonNode expected, JsonNode actual) {
        assertThat(actual.size()).isEqualTo(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = expected.get(i), a = actual.get(i);
            assertThat(a.get("step").asLong()).isEqualTo(e.get("step").asLong());
            List<String> keys = new ArrayList<>();
            e.fieldNames().forEachRemaining(keys::add);
            assertThat(keys).as("entry %d", i).isNotEmpty();
            for (String k : keys) {
                if (!e.get(k).isNumber()) continue;
                assertThat(a.has(k)).as("entry %d has %s", i, k).isTrue();
                double x = e.get(k).asDouble(), y = a.get(k).asDouble();
                assertThat(Math.abs(x - y)).as("entry %d %s: %s vs %s", i, k, x, y).isLessThanOrEqualTo(1e-5 * Math.max(1e-3, Math.abs(x)));
            }
        }
    }

    /** Every tensor of the two adapters within 1e-5 of the largest entry of the expected one. */
    private static void assertSameAdapter(Path expected, Path actual) throws IOException {
        try (SafetensorsFile e = SafetensorsFile.open(expected.resolve("adapter_model.safetensors"));
             SafetensorsFile a = SafetensorsFile.open(actual.resolve("adapter_model.safetensors"))) {
            Map<String, Tensor> et = e.copyAll(), at = a.copyAll();
            assertThat(at.keySet()).isEqualTo(et.keySet());
            for (String k : et.keySet()) {
                float[] x = et.get(k).toFloatArray(), y = at.get(k).toFloatArray();
                double scale = 0, diff = 0;
                for (int i = 0; i < x.length; i++) {
                    scale = Math.max(scale, Math.abs(x[i]));
                    diff = Math.max(diff, Math.abs(x[i] - y[i]));
                }
                assertThat(diff).as(k).isLessThanOrEqualTo(1e-5 * scale);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : paths.toList()) Files.copy(p, to.resolve(from.relativize(p).toString()));
        }
    }

    /** The rank processes under mpirun (their /proc command line names the CLI's main class), lowest pid first. */
    private static List<ProcessHandle> ranks(Process mpirun) {
        return mpirun.descendants().filter(h -> {
            try {
                return Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline")).contains("dev.qlora4j.train.cli.Main");
            } catch (IOException gone) {
                return false;
            }
        }).sorted(java.util.Comparator.comparingLong(ProcessHandle::pid)).toList();
    }

    @ParameterizedTest(name = "{0}, accumulation {1}, {2}")
    @CsvSource({"causal, 1, cpu", "causal, 2, cpu", "classifier, 1, cpu", "classifier, 2, cpu", "causal, 2, cuda", "packed, 2, cpu"})
    void twoRanksEqualOneRankWithTheSameGlobalBatch(String task, int accumulation, String device, @TempDir Path dir) throws Exception {
        boolean emulator = device.equals("cuda");
        String one = run(process(train(1, config(dir, task, "one", 2 * accumulation, device)), dir.resolve("one.log"), emulator), 0);
        String two = run(process(train(2, config(dir, task, "two", accumulation, device)), dir.resolve("two.log"), emulator), 0);
        assertThat(two).contains("data parallel: 2 ranks").contains("global batch " + 6 * accumulation);
        if (emulator) assertThat(two).contains("NCCL over 2 ranks");
        assertThat(one).doesNotContain("data parallel");
        // rank 0 alone prints: each step line once
        assertThat(two.lines().filter(l -> l.startsWith("step 1/")).count()).isEqualTo(1);
        JsonNode h1 = history(dir.resolve("one")), h2 = history(dir.resolve("two"));
        assertThat(h1.size()).isGreaterThan(4);
        assertSameCurve(h1, h2);
        assertSameAdapter(dir.resolve("one"), dir.resolve("two"));
        JsonNode dp = JSON.readTree(dir.resolve("two").resolve("checkpoint-2/data_parallel.json").toFile());
        assertThat(dp.get("world_size").asInt()).isEqualTo(2);
        assertThat(dp.get("global_batch_size").asInt()).isEqualTo(6 * accumulation);
    }

    @Test
    void killedRankEndsTheJobAndTheRunResumesOnTheSameCurve(@TempDir Path dir) throws Exception {
        Path cfg = config(dir, "causal", "run", 1, "cpu");
        ObjectNode longer = (ObjectNode) JSON.readTree(cfg.toFile());
        longer.put("num_train_epochs", 8).put("save_steps", 1).put("eval_steps", 3).put("save_total_limit", 2);
        Files.writeString(cfg, longer.toString());
        Path reference = Files.writeString(dir.resolve("reference.json"), longer.put("output_dir", dir.resolve("reference").toString()).toString());
        run(process(train(2, reference), dir.resolve("reference.log"), false), 0);

        Path out = dir.resolve("run");
        Process p = process(train(2, cfg), dir.resolve("killed.log"), false).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Files.isDirectory(out.resolve("checkpoint-4")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        List<ProcessHandle> ranks = ranks(p);
        assertThat(ranks).hasSize(2);
        ranks.getLast().destroyForcibly();   // SIGKILL of one rank
        long killed = System.nanoTime();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("the job ends within 30 s of a rank's death").isTrue();
        assertThat(p.exitValue()).isNotZero();
        for (ProcessHandle r : ranks) r.onExit().get(30, TimeUnit.SECONDS);   // throws TimeoutException if a rank outlives the job
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed)).as("every rank gone within 30 s").isLessThan(30);
        assertThat(Files.readString(dir.resolve("killed.log"))).contains("signal 9");
        assertThat(Files.exists(out.resolve("trainer_state.json"))).as("killed before the end").isFalse();

        // another number of ranks with another global batch is refused before anything loads
        String refused = run(process(train(1, cfg, "--set", "resume_from_checkpoint=true"), dir.resolve("refused.log"), false), 2);
        assertThat(refused).contains("was trained on 2 ranks with a global batch of 6; this run's is 3 (3 per device × 1 accumulation × 1 rank)")
                .contains("set gradient_accumulation_steps 2, or resume on 2 ranks (resume_from_checkpoint)");

        // one rank with accumulation 2 keeps the global batch: it continues the same curve (to float rounding)
        Path single = dir.resolve("single");
        copyTree(out, single);
        String one = run(process(train(1, cfg, "--set", "resume_from_checkpoint=true", "--set", "gradient_accumulation_steps=2",
                "--set", "output_dir=" + single), dir.resolve("single.log"), false), 0);
        assertThat(one).contains("resuming from");
        assertSameCurve(history(dir.resolve("reference")), history(single));
        assertSameAdapter(dir.resolve("reference"), single);

        String resumed = run(process(train(2, cfg, "--set", "resume_from_checkpoint=true"), dir.resolve("resumed.log"), false), 0);
        assertThat(resumed).contains("resuming from");
        assertSameCurve(history(dir.resolve("reference")), history(out));
        assertThat(Files.readAllBytes(out.resolve("adapter_model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("reference/adapter_model.safetensors")));
    }

    @Test
    void aRankThatStopsAnsweringIsTimedOut(@TempDir Path dir) throws Exception {
        Path cfg = config(dir, "causal", "run", 1, "cpu");
        ObjectNode c = (ObjectNode) JSON.readTree(cfg.toFile());
        Files.writeString(cfg, c.put("num_train_epochs", 50).put("save_steps", 1).put("ddp_timeout", 5).toString());
        Process p = process(train(2, cfg), dir.resolve("log.txt"), false).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Files.isDirectory(dir.resolve("run/checkpoint-2")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        List<ProcessHandle> ranks = ranks(p);
        assertThat(ranks).hasSize(2);
        for (ProcessHandle r : ranks) new ProcessBuilder("kill", "-STOP", Long.toString(r.pid())).start().waitFor();
        // rank 0 alone continues: it waits for the stopped one, gives up after ddp_timeout and ends the job
        new ProcessBuilder("kill", "-CONT", Long.toString(ranks.getFirst().pid())).start().waitFor();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the job ends after the timeout").isTrue();
        String log = Files.readString(dir.resolve("log.txt"));
        assertThat(p.exitValue()).as(log).isNotZero();
        assertThat(log).containsPattern("error: rank [01] of 2: no answer from the other ranks for 5 s \\(ddp_timeout\\)");
        for (ProcessHandle r : ranks) {
            r.destroyForcibly();
            assertThat(r.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        }
    }

    @Test
    void ranksWithDifferentConfigsAreRefused(@TempDir Path dir) throws Exception {
        Path cfg = config(dir, "causal", "run", 1, "cpu");
        List<String> cmd = new ArrayList<>(List.of("mpirun", "-np", "1"));
        cmd.addAll(java("train", cfg.toString(), "--set", "learning_rate=0.001"));
        cmd.addAll(List.of(":", "-np", "1"));
        cmd.addAll(java("train", cfg.toString(), "--set", "learning_rate=0.002"));
        String log = run(process(cmd, dir.resolve("log.txt"), false), 2);
        assertThat(log).contains("error: rank 0 of 2: ranks started with different inputs: rank 1's resolved config differs from rank 0's");
        assertThat(Files.exists(dir.resolve("run"))).as("nothing was written").isFalse();
    }

    @Test
    void aConfigMistakeIsReportedOnceByRankZero(@TempDir Path dir) throws Exception {
        Path cfg = config(dir, "causal", "run", 1, "cpu");
        String log = run(process(train(2, cfg, "--set", "learning_rat=0.1"), dir.resolve("log.txt"), false), 2);
        assertThat(log.lines().filter(l -> l.startsWith("error:")).toList())
                .containsExactly("error: rank 0 of 2: unknown key \"learning_rat\" (did you mean \"learning_rate\"?) (" + cfg + ")");
    }
}
