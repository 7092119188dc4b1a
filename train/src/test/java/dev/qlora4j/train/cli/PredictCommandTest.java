package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.qlora4j.train.cli.EvalCommandTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code predict}: class probabilities against transformers' logits, the submission layout, errors. */
class PredictCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    private static final String ARENA_HEADER = "id,model_a,model_b,prompt,response_a,response_b";

    /** The fixture's texts and labels as a JSONL data file. */
    private static Path rowsOf(JsonNode ref, Path tmp) throws IOException {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < ref.get("texts").size(); i++)
            rows.append(JSON.writeValueAsString(java.util.Map.of("text", ref.get("texts").get(i).asText(),
                    "label", ref.get("labels").get(i).asInt()))).append('\n');
        return Files.writeString(tmp.resolve("rows.jsonl"), rows);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-seqcls", "gemma2-seqcls"})
    void probabilitiesAreTheSoftmaxOfTransformersLogits(String fixture, @TempDir Path tmp) throws IOException {
        JsonNode ref = JSON.readTree(FIXTURES.resolve(fixture).resolve("reference.json").toFile());
        Path model = FIXTURES.resolve(fixture).resolve("model");
        int n = ref.get("texts").size(), classes = 3;
        float[] logits;
        try (SafetensorsFile expected = SafetensorsFile.open(FIXTURES.resolve(fixture).resolve("expected_forward.safetensors"))) {
            logits = expected.copyOf("logits").toFloatArray();
        }
        Path data = rowsOf(ref, tmp);
        String width = String.valueOf(ref.get("input_ids").get(0).size());
        Path out = tmp.resolve("p.jsonl");
        Cli.Run r = Cli.run("predict", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--max-length", width, "--batch-size", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode result = JSON.readTree(r.lastLine());
        assertThat(result.get("rows").asInt()).isEqualTo(n);
        assertThat(result.get("log_loss").asDouble()).isCloseTo(ref.get("loss_mean").asDouble(), within(1e-4));
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(n);
        for (int i = 0; i < n; i++) {
            JsonNode row = JSON.readTree(lines.get(i));
            assertThat(row.get("id").asLong()).isEqualTo(i);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c]);
            for (int c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] - max);
            int best = 0;
            for (int c = 0; c < classes; c++) {
                double want = Math.exp(logits[i * classes + c] - max) / sum;
                assertThat(row.get("probabilities").get("LABEL_" + c).asDouble()).as("row %d class %d", i, c).isCloseTo(want, within(1e-5));
                if (logits[i * classes + c] > logits[i * classes + best]) best = c;
            }
            assertThat(row.get("label").asText()).isEqualTo("LABEL_" + best);
        }
        Cli.Run eval = Cli.run("eval", "--model", model.toString(), "--data", data.toString(), "--max-length", width, "--json");
        JsonNode evalResult = JSON.readTree(eval.lastLine());
        assertThat(result.get("log_loss").asDouble()).isCloseTo(evalResult.get("loss").asDouble(), within(1e-6));
        assertThat(result.get("accuracy").asDouble()).isEqualTo(evalResult.get("accuracy").asDouble());
    }

    /** --device cuda on the CPU emulator of the GPU: bf16 activations, so probabilities within 0.01 of the CPU's. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-seqcls", "gemma2-seqcls"})
    void onTheGpuEmulatorProbabilitiesAreTheCpusWithinBf16(String fixture, @TempDir Path tmp) throws IOException {
        assumeTrue(dev.qlora4j.accel.emu.CpuEmulator.bindings().isPresent(),
                () -> "no CPU emulator: " + dev.qlora4j.accel.emu.CpuEmulator.whyNot());
        JsonNode ref = JSON.readTree(FIXTURES.resolve(fixture).resolve("reference.json").toFile());
        Path model = FIXTURES.resolve(fixture).resolve("model");
        int n = ref.get("texts").size(), classes = 3;
        Path data = rowsOf(ref, tmp);
        String width = String.valueOf(ref.get("input_ids").get(0).size());
        Path cpuOut = tmp.resolve("cpu.jsonl"), gpuOut = tmp.resolve("gpu.jsonl");
        Cli.Run r = Cli.run("predict", "--model", model.toString(), "--data", data.toString(), "--out", cpuOut.toString(),
                "--max-length", width, "--batch-size", "2", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        System.setProperty("qlora4j.cuda", "emulator");
        try {
            Cli.Run g = Cli.run("predict", "--model", model.toString(), "--data", data.toString(), "--out", gpuOut.toString(),
                    "--max-length", width, "--batch-size", "2", "--device", "cuda", "--json");
            assertThat(g.status()).as(g.err()).isZero();
        } finally {
            System.clearProperty("qlora4j.cuda");
        }
        List<String> lines = Files.readAllLines(cpuOut), gpuLines = Files.readAllLines(gpuOut);
        assertThat(gpuLines).hasSize(n);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++)
                assertThat(JSON.readTree(gpuLines.get(i)).get("probabilities").get("LABEL_" + c).asDouble()).as("gpu row %d class %d", i, c)
                        .isCloseTo(JSON.readTree(lines.get(i)).get("probabilities").get("LABEL_" + c).asDouble(), within(0.01));
    }

    @Test
    void theArenaTestFileGivesASubmission(@TempDir Path tmp) throws IOException {
        String model = FIXTURES.resolve("llama-seqcls/model").toString();
        Path test = Files.writeString(tmp.resolve("test.csv"), ARENA_HEADER + "\n"
                + "136060,m1,m2,\"[\"\"Hi\"\"]\",\"[\"\"Hello\"\"]\",\"[\"\"Hey\"\"]\"\n"
                + "211333,m1,m2,q,a,b\n"
                + "x,m1,m2,q,a,b\n");
        Path out = tmp.resolve("submission.csv");
        Cli.Run r = Cli.run("predict", "--model", model, "--data", test.toString(), "--data-format", "preference_pair",
                "--out", out.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("skipped malformed rows: 1 (line 4 (id \"x\" is not an integer))");
        JsonNode result = JSON.readTree(r.lastLine());
        assertThat(result.has("log_loss")).as("no labels, no loss").isFalse();
        assertThat(result.get("rows").asInt()).isEqualTo(2);
        List<String> lines = Files.readAllLines(out);
        assertThat(lines.getFirst()).isEqualTo("id,winner_model_a,winner_model_b,winner_tie");
        assertThat(lines.subList(1, 3)).extracting(l -> l.split(",")[0]).containsExactly("136060", "211333");
        for (String line : lines.subList(1, 3)) {
            String[] f = line.split(",");
            assertThat(Double.parseDouble(f[1]) + Double.parseDouble(f[2]) + Double.parseDouble(f[3])).isCloseTo(1, within(1e-12));
        }
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws IOException {
        Path rows = Files.writeString(tmp.resolve("r.jsonl"), "{\"text\": \"hi\"}\n");
        String classifier = FIXTURES.resolve("llama-seqcls/model").toString(), causal = FIXTURES.resolve("llama/model").toString();
        assertError(Cli.run("predict", "--model", causal, "--data", rows.toString(), "--out", tmp.resolve("p.csv").toString()),
                "error: predict gives a sequence classifier's class probabilities; " + causal + " is a causal LM (use generate)");
        assertError(Cli.run("predict", "--model", classifier, "--data", rows.toString(), "--out", tmp.resolve("p.txt").toString()),
                "error: --out must end in .csv or .jsonl (got " + tmp.resolve("p.txt") + ")");
        assertError(Cli.run("predict", "--model", classifier, "--data", rows.toString()), "error: missing required option --out");
        assertThat(tmp.resolve("p.csv")).doesNotExist();
    }
}
