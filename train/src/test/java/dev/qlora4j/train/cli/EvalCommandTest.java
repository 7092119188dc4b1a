package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.PaddedBatch;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code eval} against the reference losses of the fixtures. */
class EvalCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    /** fixtures/README.md: losses within 1e-4, relative for values above 1. */
    private static final double REFERENCE_TOLERANCE = 1e-4;
    /**
     * Batching only changes float rounding (per-batch sums; and the Vector API's lane reductions
     * may sum in another order once the JIT compiles them, so even a rerun can move the last bits).
     */
    private static final double BATCHING_TOLERANCE = 1e-6;

    private static JsonNode reference(String fixture) throws IOException {
        return JSON.readTree(FIXTURES.resolve(fixture).resolve("reference.json").toFile());
    }

    private static Offset<Double> relative(double tolerance, double value) {
        return Offset.offset(tolerance * Math.max(1, Math.abs(value)));
    }

    private static Path jsonl(Path file, List<? extends Map<String, ?>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, ?> r : rows) sb.append(JSON.writeValueAsString(r)).append('\n');
        return Files.writeString(file, sb);
    }

    private static JsonNode eval(String... args) throws IOException {
        Cli.Run r = Cli.run(args);
        assertThat(r.status()).as(r.err()).isZero();
        return r.json();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma2", "llama31-bf16-sharded"})
    void causalLossOfTheReferenceTextsIsTheReferenceLoss(String fixture, @TempDir Path tmp) throws IOException {
        JsonNode ref = reference(fixture);
        Path model = FIXTURES.resolve(fixture).resolve("model");
        List<Map<String, String>> rows = new ArrayList<>();
        // the reference batch is as wide as its longest row; Gemma-2's reference truncated both rows to that width
        String width = String.valueOf(ref.get("input_ids").get(0).size());
        Tokenizer tokenizer = Tokenizer.load(model);
        for (int i = 0; i < ref.get("texts").size(); i++) {
            String text = ref.get("texts").get(i).asText();
            rows.add(Map.of("text", text));
            // the rows are the reference's input_ids: encoded with special tokens, truncated, padding left out
            assertThat(java.util.Arrays.copyOf(tokenizer.encode(text, true).ids(), Math.min(Integer.parseInt(width),
                    tokenizer.encode(text, true).ids().length))).containsExactly(unpadded(ref, i));
        }
        Path data = jsonl(tmp.resolve("ref.jsonl"), rows);
        JsonNode two = eval("eval", "--model", model.toString(), "--data", data.toString(), "--batch-size", "2", "--max-length", width, "--json");
        double want = ref.get("loss_mean").asDouble();
        assertThat(two.get("loss").asDouble()).isCloseTo(want, relative(REFERENCE_TOLERANCE, want));
        assertThat(two.get("tokens").asLong()).isEqualTo(ref.get("loss_tokens").asLong());
        assertThat(two.get("perplexity").asDouble()).isCloseTo(Math.exp(two.get("loss").asDouble()), relative(1e-12, 1e3));

        JsonNode one = eval("eval", "--model", model.toString(), "--data", data.toString(), "--batch-size", "1", "--max-length", width, "--json");
        assertThat(one.get("loss").asDouble()).isCloseTo(two.get("loss").asDouble(), relative(BATCHING_TOLERANCE, want));
        assertThat(one.get("tokens")).isEqualTo(two.get("tokens"));

        // the same rows as one JSON array
        Path array = Files.writeString(tmp.resolve("ref.json"), JSON.writeValueAsString(rows));
        JsonNode fromArray = eval("eval", "--model", model.toString(), "--data", array.toString(), "--batch-size", "2", "--max-length", width, "--json");
        assertThat(fromArray.get("loss").asDouble()).isCloseTo(two.get("loss").asDouble(), relative(BATCHING_TOLERANCE, want));
        assertThat(fromArray.get("tokens")).isEqualTo(two.get("tokens"));

        // with the fixture's PEFT adapter on the base: the reference's LoRA loss
        JsonNode adapted = eval("eval", "--model", model.toString(), "--adapter", FIXTURES.resolve(fixture).resolve("adapter_init").toString(),
                "--data", data.toString(), "--batch-size", "2", "--max-length", width, "--json");
        double lora = ref.get("lora").get("lora_loss").asDouble();
        assertThat(adapted.get("loss").asDouble()).isCloseTo(lora, relative(REFERENCE_TOLERANCE, lora));
    }

    /** Row {@code i} of the reference's input_ids where its attention mask is 1. */
    private static int[] unpadded(JsonNode ref, int i) {
        JsonNode ids = ref.get("input_ids").get(i), mask = ref.get("attention_mask").get(i);
        return java.util.stream.IntStream.range(0, ids.size()).filter(j -> mask.get(j).asInt() == 1).map(j -> ids.get(j).asInt()).toArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-seqcls", "gemma2-seqcls"})
    void classifierLossAndAccuracyOfTheReferenceRows(String fixture, @TempDir Path tmp) throws IOException {
        JsonNode ref = reference(fixture);
        Path model = FIXTURES.resolve(fixture).resolve("model");
        int n = ref.get("texts").size(), labels = 3;
        float[] logits;
        try (SafetensorsFile expected = SafetensorsFile.open(FIXTURES.resolve(fixture).resolve("expected_forward.safetensors"))) {
            logits = expected.copyOf("logits").toFloatArray();
        }
        List<Map<String, Object>> byIndex = new ArrayList<>(), byName = new ArrayList<>();
        int correct = 0;
        for (int i = 0; i < n; i++) {
            int label = ref.get("labels").get(i).asInt();
            byIndex.add(Map.of("text", ref.get("texts").get(i).asText(), "label", label));
            byName.add(Map.of("text", ref.get("texts").get(i).asText(), "label", "LABEL_" + label));
            int best = 0;
            for (int c = 1; c < labels; c++) if (logits[i * labels + c] > logits[i * labels + best]) best = c;
            if (best == label) correct++;
        }
        Path data = jsonl(tmp.resolve("cls.jsonl"), byIndex);
        String width = String.valueOf(ref.get("input_ids").get(0).size());
        Tokenizer tokenizer = Tokenizer.load(model);
        for (int i = 0; i < n; i++) {
            int[] ids = tokenizer.encode(ref.get("texts").get(i).asText(), true).ids();
            assertThat(java.util.Arrays.copyOf(ids, Math.min(ids.length, Integer.parseInt(width)))).containsExactly(unpadded(ref, i));
        }
        JsonNode two = eval("eval", "--model", model.toString(), "--data", data.toString(), "--batch-size", "2", "--max-length", width, "--json");
        double want = ref.get("loss_mean").asDouble();
        assertThat(two.get("loss").asDouble()).isCloseTo(want, relative(REFERENCE_TOLERANCE, want));
        assertThat(two.get("accuracy").asDouble()).isEqualTo((double) correct / n);
        assertThat(two.get("examples").asInt()).isEqualTo(n);
        JsonNode one = eval("eval", "--model", model.toString(), "--data", data.toString(), "--batch-size", "1", "--max-length", width, "--json");
        assertThat(one.get("loss").asDouble()).isCloseTo(two.get("loss").asDouble(), relative(BATCHING_TOLERANCE, want));
        assertThat(one.get("accuracy")).isEqualTo(two.get("accuracy"));
        Path named = jsonl(tmp.resolve("named.jsonl"), byName);
        JsonNode fromNames = eval("eval", "--model", model.toString(), "--data", named.toString(), "--batch-size", "2", "--max-length", width, "--json");
        assertThat(fromNames.get("loss").asDouble()).isCloseTo(two.get("loss").asDouble(), relative(BATCHING_TOLERANCE, want));
        assertThat(fromNames.get("accuracy")).isEqualTo(two.get("accuracy"));
    }

    @Test
    void chatRowsAreRenderedWithTheTemplateAndMaxLengthTruncates(@TempDir Path tmp) throws IOException {
        Path model = FIXTURES.resolve("llama/model");
        List<String> lines = Files.readAllLines(FIXTURES.resolve("llama/train.jsonl")).subList(0, 3);
        Path data = Files.writeString(tmp.resolve("chat.jsonl"), String.join("\n", lines) + "\n");
        Tokenizer tokenizer = Tokenizer.load(model);
        ChatTemplate template = ChatTemplate.load(model);
        List<int[]> rows = new ArrayList<>();
        for (String line : lines) {
            String messages = JSON.readTree(line).get("messages").toString();
            rows.add(tokenizer.encode(template.renderMessages(ChatTemplate.parseMessages(messages, "test"), false), false).ids());
        }
        assertThat(rows.getFirst()[0]).as("the template writes BOS once").isEqualTo(378);
        assertThat(rows.getFirst()[1]).isNotEqualTo(378);
        JsonNode full = eval("eval", "--model", model.toString(), "--data", data.toString(), "--json");
        assertThat(full.get("tokens").asLong()).isEqualTo(rows.stream().mapToLong(r -> r.length - 1).sum());
        assertThat(full.get("loss").asDouble()).isCloseTo(meanLoss(model, rows), relative(BATCHING_TOLERANCE, 10));

        List<int[]> cut = rows.stream().map(r -> java.util.Arrays.copyOf(r, 9)).toList();
        JsonNode truncated = eval("eval", "--model", model.toString(), "--data", data.toString(), "--max-length", "9", "--json");
        assertThat(truncated.get("tokens").asLong()).isEqualTo(3 * 8);
        assertThat(truncated.get("loss").asDouble()).isCloseTo(meanLoss(model, cut), relative(BATCHING_TOLERANCE, 10));
    }

    @Test
    void aChatRowsToolsGoToTheTemplate(@TempDir Path tmp) throws IOException {
        Path model = Files.createDirectories(tmp.resolve("model"));
        try (var files = Files.list(FIXTURES.resolve("llama/model"))) {
            for (Path f : files.toList()) Files.copy(f, model.resolve(f.getFileName()));
        }
        Files.writeString(model.resolve("chat_template.jinja"),
                "{{ bos_token }}{% for t in tools or [] %}[{{ t.name }}]{% endfor %}{% for m in messages %}{{ m.role }}: {{ m.content }} {% endfor %}");
        String chat = "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]";
        Path data = Files.writeString(tmp.resolve("chat.jsonl"), "{" + chat + ", \"tools\": [{\"name\": \"get_weather\"}]}\n{" + chat + "}\n");
        Tokenizer tokenizer = Tokenizer.load(model);
        List<int[]> rows = List.of(tokenizer.encode("<|begin_of_text|>[get_weather]user: Hi assistant: Hello ", false).ids(),
                tokenizer.encode("<|begin_of_text|>user: Hi assistant: Hello ", false).ids());
        JsonNode r = eval("eval", "--model", model.toString(), "--data", data.toString(), "--json");
        assertThat(r.get("tokens").asLong()).isEqualTo(rows.stream().mapToLong(t -> t.length - 1).sum());
        assertThat(r.get("loss").asDouble()).isCloseTo(meanLoss(model, rows), relative(BATCHING_TOLERANCE, 10));

        Path bad = Files.writeString(tmp.resolve("bad.jsonl"), "{" + chat + ", \"tools\": \"get_weather\"}\n");
        assertError(Cli.run("eval", "--model", model.toString(), "--data", bad.toString()),
                "error: line 1 has a \"tools\" that is not a list of tool definitions (JSON objects): got a string (" + bad + ")");
    }

    /** The loss as transformers' mean over one padded batch of every row. */
    private static double meanLoss(Path model, List<int[]> rows) {
        try (Transformer m = Transformer.load(model); var ignored = Tensor.noGrad()) {
            PaddedBatch b = Collator.causal(383, 1).collate(rows.stream().map(r -> Example.causal("row", 0, r)).toList());
            return m.causalLmLoss(b.inputIds(), b.attentionMask(), b.labels(), CrossEntropy.Reduction.MEAN).item();
        }
    }

    @Test
    void arenaCsvIsEvaluatedAsTheTextAndLabelRowsItStandsFor(@TempDir Path tmp) throws IOException {
        String classifier = FIXTURES.resolve("llama-seqcls/model").toString();
        String header = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n";
        Path csv = Files.writeString(tmp.resolve("arena.csv"), header
                + "1,m1,m2,\"[\"\"What is justice?\"\"]\",\"[\"\"Fairness.\"\"]\",\"[\"\"Who knows?\"\"]\",1,0,0\n"
                + "2,m1,m2,\"[\"\"Name a river\"\"]\",\"[\"\"The Nile\"\"]\",\"[\"\"The Rhine\"\"]\",0,0,1\n"
                + "3,m1,m2,q,a,b,1,1,0\n"                                                   // malformed: two winners
                + "4,m1,m2,\"[\"\"Add 2 and 3\"\"]\",\"[\"\"6\"\"]\",\"[\"\"5\"\"]\",0,1,0\n");
        List<Map<String, Object>> rows = List.of(
                Map.of("text", "<prompt>: What is justice?\n\n<response_a>: Fairness.\n\n<response_b>: Who knows?", "label", 0),
                Map.of("text", "<prompt>: Name a river\n\n<response_a>: The Nile\n\n<response_b>: The Rhine", "label", 2),
                Map.of("text", "<prompt>: Add 2 and 3\n\n<response_a>: 6\n\n<response_b>: 5", "label", 1));
        Path jsonl = jsonl(tmp.resolve("same.jsonl"), rows);
        Cli.Run fromCsv = Cli.run("eval", "--model", classifier, "--data", csv.toString(), "--data-format", "preference_pair", "--json");
        assertThat(fromCsv.status()).as(fromCsv.err()).isZero();
        assertThat(fromCsv.err()).contains("skipped malformed rows: 1 (line 4");
        JsonNode csvResult = JSON.readTree(fromCsv.lastLine()), jsonResult = eval("eval", "--model", classifier, "--data", jsonl.toString(), "--json");
        assertThat(csvResult.get("examples").asInt()).isEqualTo(3);
        assertThat(csvResult.get("loss").asDouble()).isEqualTo(jsonResult.get("loss").asDouble());
        assertThat(csvResult.get("accuracy")).isEqualTo(jsonResult.get("accuracy"));

        assertError(Cli.run("eval", "--model", classifier, "--data", csv.toString()),
                "error: a CSV file is read with data_format \"preference_pair\"; data_format \"auto\" reads JSON rows (" + csv + ")");
        assertError(Cli.run("eval", "--model", classifier, "--data", csv.toString(), "--data-format", "tsv"),
                "error: --data-format must be auto, messages, text, prompt_completion, tokenized or preference_pair (got \"tsv\")");
        String causal = FIXTURES.resolve("llama/model").toString();
        assertError(Cli.run("eval", "--model", causal, "--data", csv.toString(), "--data-format", "preference_pair"),
                "error: --data-format preference_pair is 3-class data for a sequence classifier; " + causal + " is a causal LM");
    }

    @Test
    void badInputIsOneLineWithExitStatus2(@TempDir Path tmp) throws IOException {
        String model = FIXTURES.resolve("llama/model").toString();
        Path ok = Files.writeString(tmp.resolve("ok.jsonl"), "{\"text\": \"hello\"}\n");
        assertError(Cli.run("eval", "--model", model, "--data", ok.toString(), "--adapter", "some/adapter"),
                "error: no such adapter folder (some/adapter)");
        if (!CudaPresence.driverPresent())
            assertError(Cli.run("eval", "--model", model, "--data", ok.toString(), "--device", "cuda"),
                    "error: --device cuda: libcuda.so.1 / libcuda.so not found: no NVIDIA driver on this machine (--device cuda needs one; use --device cpu)");
        assertError(Cli.run("eval", "--model", model, "--data", ok.toString(), "--device", "tpu"),
                "error: unknown device 'tpu', expected cpu or cuda (--device)");
        assertThat(Cli.run("eval", "--model", model, "--data", ok.toString(), "--device", "cpu").status()).isZero();
        assertError(Cli.run("eval", "--model", tmp.resolve("none").toString(), "--data", ok.toString()),
                "error: no such model folder (" + tmp.resolve("none") + ")");

        Path notJson = Files.writeString(tmp.resolve("a.jsonl"), "{\"text\": \"hi\"}\n\n{oops\n");
        assertError(Cli.run("eval", "--model", model, "--data", notJson.toString()), "error: line 3 is not JSON (" + notJson + ")");
        Path noText = Files.writeString(tmp.resolve("b.jsonl"), "{\"txt\": \"hi\"}\n");
        assertError(Cli.run("eval", "--model", model, "--data", noText.toString()),
                "error: line 1 has none of \"messages\", \"text\", \"prompt\"/\"completion\" (" + noText + ")");
        Path notObject = Files.writeString(tmp.resolve("c.json"), "[{\"text\": \"hi\"}, 3]");
        assertError(Cli.run("eval", "--model", model, "--data", notObject.toString()), "error: item 2 is not a JSON object (" + notObject + ")");
        Path tooLong = Files.writeString(tmp.resolve("d.jsonl"), JSON.writeValueAsString(Map.of("text", "ab ".repeat(300))));
        Cli.Run longRun = Cli.run("eval", "--model", model, "--data", tooLong.toString());
        assertError(longRun, null);
        assertThat(longRun.err()).contains("max_position_embeddings 256").contains("--max-length");
        assertThat(Cli.run("eval", "--model", model, "--data", tooLong.toString(), "--max-length", "100").status()).isZero();

        String classifier = FIXTURES.resolve("llama-seqcls/model").toString();
        Path badLabel = Files.writeString(tmp.resolve("e.jsonl"), "{\"text\": \"hi\", \"label\": \"LABEL_7\"}\n");
        assertError(Cli.run("eval", "--model", classifier, "--data", badLabel.toString()),
                "error: line 1 has label \"LABEL_7\", which config.json's label2id does not name [LABEL_0, LABEL_1, LABEL_2] (" + badLabel + ")");
        Path outOfRange = Files.writeString(tmp.resolve("f.jsonl"), "{\"text\": \"hi\", \"label\": 3}\n");
        assertError(Cli.run("eval", "--model", classifier, "--data", outOfRange.toString()),
                "error: line 1 has label 3, expected a class index 0..2 or a label name (" + outOfRange + ")");

        Path mistral = Files.createDirectory(tmp.resolve("mistral"));
        ArrayNode arch = JSON.createArrayNode().add("MistralForCausalLM");
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(FIXTURES.resolve("llama/model/config.json").toFile());
        config.set("architectures", arch);
        Files.writeString(mistral.resolve("config.json"), config.toString());
        Cli.Run unknown = Cli.run("eval", "--model", mistral.toString(), "--data", ok.toString());
        assertError(unknown, null);
        assertThat(unknown.err()).contains("unsupported architecture \"MistralForCausalLM\"");
    }

    /** Exit status 2 and one line on stderr: {@code expected} exactly, when given. */
    /**
     * eval --device cuda on the CPU emulator of the GPU (bf16 activations): the causal LM's loss
     * within 1 % of the CPU's, the classifier's loss within 2 % and the same accuracy.
     */
    @Test
    void evaluatesOnTheGpuBackend(@TempDir Path tmp) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.qlora4j.accel.emu.CpuEmulator.bindings().isPresent(), "no CPU emulator (g++)");
        Path rows = Files.writeString(tmp.resolve("rows.jsonl"), "{\"text\": \"hello there, how are you today?\"}\n"
                + "{\"text\": \"a second and somewhat longer row of text to pad against\"}\n");
        String model = FIXTURES.resolve("llama/model").toString(), adapter = FIXTURES.resolve("llama/adapter_init").toString();
        Path labelled = Files.writeString(tmp.resolve("labelled.jsonl"), "{\"text\": \"good movie\", \"label\": 1}\n"
                + "{\"text\": \"a dull and long film\", \"label\": 0}\n{\"text\": \"fine\", \"label\": 1}\n");
        String classifier = FIXTURES.resolve("llama-seqcls/model").toString();
        System.setProperty("qlora4j.cuda", "emulator");
        try {
            JsonNode cpu = Cli.run("eval", "--model", model, "--adapter", adapter, "--data", rows.toString(), "--json").json();
            JsonNode gpu = Cli.run("eval", "--model", model, "--adapter", adapter, "--data", rows.toString(), "--device", "cuda", "--json").json();
            assertThat(gpu.get("tokens").asLong()).isEqualTo(cpu.get("tokens").asLong());
            assertThat(gpu.get("loss").asDouble()).isCloseTo(cpu.get("loss").asDouble(), org.assertj.core.data.Percentage.withPercentage(1));
            JsonNode ccpu = Cli.run("eval", "--model", classifier, "--data", labelled.toString(), "--batch-size", "2", "--json").json();
            JsonNode cgpu = Cli.run("eval", "--model", classifier, "--data", labelled.toString(), "--batch-size", "2", "--device", "cuda",
                    "--json").json();
            assertThat(cgpu.get("loss").asDouble()).isCloseTo(ccpu.get("loss").asDouble(), org.assertj.core.data.Percentage.withPercentage(2));
            assertThat(cgpu.get("accuracy").asDouble()).isEqualTo(ccpu.get("accuracy").asDouble());
        } finally {
            System.clearProperty("qlora4j.cuda");
        }
    }

    static void assertError(Cli.Run r, String expected) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("error: ").doesNotContain("\n");
        if (expected != null) assertThat(r.err().strip()).isEqualTo(expected);
    }
}
