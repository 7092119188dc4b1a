package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.io.SafetensorsFile;
import org.assertj.core.data.Offset;
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

/**
 * {@code eval} and {@code predict} on pre-tokenized rows: the fixtures' reference batch written as
 * {@code {"input_ids", "attention_mask", "labels" / "label"}} rows, as transformers built it.
 */
class TokenizedRowsCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    /** fixtures/README.md: losses within 1e-4, relative for values above 1. */
    private static final double REFERENCE_TOLERANCE = 1e-4;

    private static JsonNode reference(String fixture) throws IOException {
        return JSON.readTree(FIXTURES.resolve(fixture).resolve("reference.json").toFile());
    }

    private static Offset<Double> relative(double tolerance, double value) {
        return Offset.offset(tolerance * Math.max(1, Math.abs(value)));
    }

    /** The reference batch's rows, padding included, with their mask and (causal LM) labels or (classifier) label. */
    private static Path referenceRows(JsonNode ref, Path file, boolean classifier, boolean withLabels) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ref.get("input_ids").size(); i++) {
            ObjectNode row = JSON.createObjectNode();
            row.set("input_ids", ref.get("input_ids").get(i));
            row.set("attention_mask", ref.get("attention_mask").get(i));
            if (withLabels) row.set(classifier ? "label" : "labels", ref.get("labels").get(i));
            sb.append(row).append('\n');
        }
        return Files.writeString(file, sb);
    }

    private static JsonNode run(String... args) throws IOException {
        Cli.Run r = Cli.run(args);
        assertThat(r.status()).as(r.err()).isZero();
        return JSON.readTree(r.lastLine());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma2", "llama31-bf16-sharded"})
    void evalOfTheReferenceBatchIsTheReferenceLoss(String fixture, @TempDir Path tmp) throws IOException {
        JsonNode ref = reference(fixture);
        String model = FIXTURES.resolve(fixture).resolve("model").toString();
        Path rows = referenceRows(ref, tmp.resolve("ids.jsonl"), false, true);
        double want = ref.get("loss_mean").asDouble(), lora = ref.get("lora").get("lora_loss").asDouble();
        for (String format : List.of("tokenized", "auto")) {
            JsonNode r = run("eval", "--model", model, "--data", rows.toString(), "--data-format", format, "--batch-size", "2", "--json");
            assertThat(r.get("loss").asDouble()).as(format).isCloseTo(want, relative(REFERENCE_TOLERANCE, want));
            assertThat(r.get("tokens").asLong()).as(format).isEqualTo(ref.get("loss_tokens").asLong());
        }
        JsonNode adapted = run("eval", "--model", model, "--adapter", FIXTURES.resolve(fixture).resolve("adapter_init").toString(),
                "--data", rows.toString(), "--data-format", "tokenized", "--json");
        assertThat(adapted.get("loss").asDouble()).isCloseTo(lora, relative(REFERENCE_TOLERANCE, lora));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-seqcls", "gemma2-seqcls"})
    void evalAndPredictOfTheReferenceBatchAreTransformers(String fixture, @TempDir Path tmp) throws IOException {
        JsonNode ref = reference(fixture);
        String model = FIXTURES.resolve(fixture).resolve("model").toString();
        int n = ref.get("input_ids").size(), classes = 3;
        float[] logits;
        try (SafetensorsFile expected = SafetensorsFile.open(FIXTURES.resolve(fixture).resolve("expected_forward.safetensors"))) {
            logits = expected.copyOf("logits").toFloatArray();
        }
        Path labelled = referenceRows(ref, tmp.resolve("labelled.jsonl"), true, true);
        double want = ref.get("loss_mean").asDouble();
        JsonNode e = run("eval", "--model", model, "--data", labelled.toString(), "--data-format", "tokenized", "--batch-size", "2", "--json");
        assertThat(e.get("loss").asDouble()).isCloseTo(want, relative(REFERENCE_TOLERANCE, want));
        assertThat(e.get("examples").asInt()).isEqualTo(n);

        Path unlabelled = referenceRows(ref, tmp.resolve("unlabelled.jsonl"), true, false);
        Path out = tmp.resolve("p.jsonl");
        JsonNode p = run("predict", "--model", model, "--data", unlabelled.toString(), "--out", out.toString(), "--batch-size", "2", "--json");
        assertThat(p.get("rows").asInt()).isEqualTo(n);
        assertThat(p.has("log_loss")).as("no labels, no log loss").isFalse();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(n);
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c]);
            for (int c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] - max);
            for (int c = 0; c < classes; c++)
                assertThat(JSON.readTree(lines.get(i)).get("probabilities").get("LABEL_" + c).asDouble()).as("row %d class %d", i, c)
                        .isCloseTo(Math.exp(logits[i * classes + c] - max) / sum, within(1e-5));
        }
    }

    @Test
    void aBadTokenizedRowIsOneLineWithExitStatus2(@TempDir Path tmp) throws IOException {
        String causal = FIXTURES.resolve("llama/model").toString(), classifier = FIXTURES.resolve("llama-seqcls/model").toString();
        Path rows = Files.writeString(tmp.resolve("bad.jsonl"), "{\"input_ids\": [10, 20]}\n{\"input_ids\": [10, 20, 384]}\n");
        assertError(Cli.run("eval", "--model", causal, "--data", rows.toString()),
                "error: line 2 has input_ids[2] = 384, outside the vocabulary 0..383 (config.json's vocab_size 384) (" + rows + ")");
        Path mask = Files.writeString(tmp.resolve("mask.jsonl"), "{\"input_ids\": [10, 20], \"attention_mask\": [1], \"label\": 0}\n");
        assertError(Cli.run("predict", "--model", classifier, "--data", mask.toString(), "--out", tmp.resolve("p.csv").toString()),
                "error: line 1 has 1 attention_mask values for 2 input_ids (" + mask + ")");
        ArrayNode none = JSON.createArrayNode().add(JSON.createObjectNode().put("text", "hi"));
        Path text = Files.writeString(tmp.resolve("text.json"), none.toString());
        assertError(Cli.run("eval", "--model", causal, "--data", text.toString(), "--data-format", "tokenized"),
                "error: item 1 has no \"input_ids\", which data_format \"tokenized\" asks for (" + text + ")");
    }
}
