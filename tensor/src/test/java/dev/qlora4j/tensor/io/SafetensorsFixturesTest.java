package dev.qlora4j.tensor.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/** Every safetensors file the Python stack wrote into fixtures/, read, checked and rewritten. */
class SafetensorsFixturesTest {
    static final Path FIXTURES = Path.of("..", "fixtures");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Path> fixtureFiles() throws IOException {
        try (Stream<Path> walk = Files.walk(FIXTURES)) {
            List<Path> files = walk.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            assertThat(files).hasSizeGreaterThanOrEqualTo(30); // the fixture tree holds 36 today
            return files.stream();
        }
    }

    /**
     * Opening agrees with a plain re-parse of the raw bytes (data_offsets from the JSON read by
     * databind, bytes read with a ByteBuffer), and every view has exactly those bytes.
     */
    @ParameterizedTest
    @MethodSource("fixtureFiles")
    void readsEveryFixture(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode header = JSON.readTree(new String(raw, 8, (int) n, StandardCharsets.UTF_8));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.dataStart()).isEqualTo(8 + n);
            List<String> keys = header.properties().stream().map(Map.Entry::getKey)
                    .filter(k -> !k.equals("__metadata__")).toList();
            assertThat(f.names()).containsExactlyElementsOf(keys);
            for (String name : f.names()) {
                JsonNode e = header.get(name);
                TensorInfo info = f.info(name);
                assertThat(info.fileDtype().name()).isEqualTo(e.get("dtype").asText());
                assertThat(info.shape()).containsExactly(JSON.convertValue(e.get("shape"), int[].class));
                long begin = e.get("data_offsets").get(0).asLong(), end = e.get("data_offsets").get(1).asLong();
                assertThat(new long[]{info.begin(), info.end()}).containsExactly(begin, end);
                Tensor t = f.tensor(name);
                assertThat(t.dtype()).isEqualTo(DType.fromSafetensors(e.get("dtype").asText()));
                assertThat(t.shape()).isEqualTo(info.shape());
                byte[] expected = Arrays.copyOfRange(raw, (int) (8 + n + begin), (int) (8 + n + end));
                assertThat(bytesOf(t)).isEqualTo(expected);
                assertThat(bytesOf(f.copyOf(name))).isEqualTo(expected);
            }
            if (header.has("__metadata__"))
                assertThat(f.metadata()).isEqualTo(JSON.convertValue(header.get("__metadata__"), Map.class));
            else assertThat(f.hasMetadata()).isFalse();
        }
    }

    /**
     * nf4_cases.safetensors comes from the NF4 generator's own numpy writer, not from the reference
     * writer: it ranks dtypes by element size, so its F16 and BF16 tensors interleave by name where
     * the reference puts every BF16 tensor before every F16 one (see {@link #nf4CasesUseAnotherLayout}).
     */
    static final Path NOT_REFERENCE_WRITTEN = FIXTURES.resolve("nf4/nf4_cases.safetensors");

    static Stream<Path> referenceWrittenFiles() throws IOException {
        return fixtureFiles().filter(p -> !p.equals(NOT_REFERENCE_WRITTEN));
    }

    /** Reading a Python-written file and writing its tensors and metadata back gives the same bytes. */
    @ParameterizedTest
    @MethodSource("referenceWrittenFiles")
    void rewriteIsByteIdentical(Path file) throws IOException {
        byte[] original = Files.readAllBytes(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Tensor> views = new LinkedHashMap<>();
            // insertion order is irrelevant to the writer: feed the names reversed to prove it
            for (String name : f.names().reversed()) views.put(name, f.tensor(name));
            byte[] rewritten = SafetensorsWriter.toBytes(views, f.hasMetadata() ? f.metadata() : null);
            assertThat(rewritten).isEqualTo(original);
        }
    }

    /**
     * The one fixture not written by the reference: its F16 tensor sits between BF16 tensors (ordered
     * by name only), which the reference's dtype ranking never produces. Our rewrite keeps every
     * tensor and the metadata and differs only in that order.
     */
    @Test
    void nf4CasesUseAnotherLayout() {
        try (SafetensorsFile f = SafetensorsFile.open(NOT_REFERENCE_WRITTEN)) {
            List<SafetensorsDtype> half = f.tensors().stream().map(TensorInfo::fileDtype)
                    .filter(t -> t == SafetensorsDtype.F16 || t == SafetensorsDtype.BF16).toList();
            assertThat(half.indexOf(SafetensorsDtype.F16)).isLessThan(half.lastIndexOf(SafetensorsDtype.BF16));
            Map<String, Tensor> views = new LinkedHashMap<>();
            for (String name : f.names()) views.put(name, f.tensor(name));
            byte[] rewritten = SafetensorsWriter.toBytes(views, f.metadata());
            Path tmp = Files.createTempFile("nf4", ".safetensors");
            try {
                Files.write(tmp, rewritten);
                try (SafetensorsFile back = SafetensorsFile.open(tmp)) {
                    assertThat(back.names()).containsExactlyInAnyOrderElementsOf(f.names());
                    assertThat(back.metadata()).containsExactlyEntriesOf(f.metadata());
                    for (String name : f.names()) assertThat(bytesOf(back.tensor(name))).isEqualTo(bytesOf(f.tensor(name)));
                    List<SafetensorsDtype> backHalf = back.tensors().stream().map(TensorInfo::fileDtype)
                            .filter(t -> t == SafetensorsDtype.F16 || t == SafetensorsDtype.BF16).toList();
                    assertThat(backHalf.lastIndexOf(SafetensorsDtype.BF16)).isLessThan(backHalf.indexOf(SafetensorsDtype.F16));
                }
            } finally {
                Files.delete(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** bitsandbytes fixtures list the sha256 of every tensor's bytes and the exact quant_state JSON. */
    @Test
    void nf4CasesMatchTheirChecksums() throws Exception {
        JsonNode cases = JSON.readTree(FIXTURES.resolve("nf4/nf4_cases.json").toFile());
        int checked = 0;
        try (SafetensorsFile f = SafetensorsFile.open(FIXTURES.resolve("nf4/nf4_cases.safetensors"))) {
            for (JsonNode c : cases.get("cases")) {
                for (var e : c.get("sha256").properties()) {
                    assertThat(sha256(bytesOf(f.tensor(e.getKey())))).as(e.getKey()).isEqualTo(e.getValue().asText());
                    checked++;
                }
                for (var v : c.get("variants").properties()) {
                    Tensor qs = f.tensor(c.get("name").asText() + "." + v.getKey() + ".weight.quant_state.bitsandbytes__nf4");
                    assertThat(qs.dtype()).isEqualTo(DType.U8);
                    assertThat(new String(bytesOf(qs), StandardCharsets.UTF_8)).isEqualTo(v.getValue().get("quant_state_json").asText());
                    Tensor map = f.tensor(c.get("name").asText() + "." + v.getKey() + ".weight.quant_map");
                    float[] table = map.toFloatArray();
                    for (int i = 0; i < table.length; i++)
                        assertThat(table[i]).isEqualTo(cases.get("nf4_code").get(i).floatValue());
                }
            }
            assertThat(checked).isEqualTo(f.names().size());
        }
    }

    /** The 4-bit checkpoint keeps embeddings, norms and lm_head in bf16: the same bytes as its base. */
    @Test
    void quantizedCheckpointSharesUnquantizedTensorsWithItsBase() {
        try (SafetensorsFile base = SafetensorsFile.open(FIXTURES.resolve("nf4/tiny_llama/base_model.safetensors"));
             SafetensorsFile q = SafetensorsFile.open(FIXTURES.resolve("nf4/tiny_llama/model.safetensors"))) {
            int same = 0;
            for (String name : base.names()) {
                assertThat(base.info(name).fileDtype()).isEqualTo(SafetensorsDtype.BF16);
                assertThat(q.contains(name)).as(name).isTrue();
                if (q.info(name).fileDtype() == SafetensorsDtype.BF16) {
                    assertThat(bytesOf(q.tensor(name))).as(name).isEqualTo(bytesOf(base.tensor(name)));
                    same++;
                } else {
                    assertThat(q.info(name).fileDtype()).isEqualTo(SafetensorsDtype.U8);
                    assertThat(q.contains(name + ".quant_state.bitsandbytes__nf4")).isTrue();
                }
            }
            assertThat(same).isGreaterThanOrEqualTo(3); // embed_tokens, lm_head, norms
            assertThat(q.info("model.embed_tokens.weight").fileDtype()).isEqualTo(SafetensorsDtype.BF16);
        }
    }

    static Stream<Path> modelFolders() throws IOException {
        try (Stream<Path> list = Files.list(FIXTURES.resolve("hf"))) {
            return list.filter(d -> Files.exists(d.resolve("model/config.json"))).sorted().toList().stream();
        }
    }

    /** Weights have the shapes and dtype config.json implies; outputs the shapes reference.json implies. */
    @ParameterizedTest
    @MethodSource("modelFolders")
    void modelTensorsMatchConfigAndReference(Path dir) throws IOException {
        JsonNode config = JSON.readTree(dir.resolve("model/config.json").toFile());
        JsonNode ref = JSON.readTree(dir.resolve("reference.json").toFile());
        int hidden = config.get("hidden_size").asInt(), vocab = config.get("vocab_size").asInt();
        int heads = config.get("num_attention_heads").asInt(), kvHeads = config.get("num_key_value_heads").asInt();
        int headDim = config.hasNonNull("head_dim") ? config.get("head_dim").asInt() : hidden / heads;
        int layers = config.get("num_hidden_layers").asInt();
        DType dtype = switch (config.get("dtype").asText()) {
            case "float32" -> DType.F32;
            case "bfloat16" -> DType.BF16;
            default -> throw new AssertionError(config.get("dtype"));
        };
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir.resolve("model"))) {
            assertThat(ck.info("model.embed_tokens.weight").shape()).containsExactly(vocab, hidden);
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".self_attn.";
                assertThat(ck.info(p + "q_proj.weight").shape()).containsExactly(heads * headDim, hidden);
                assertThat(ck.info(p + "k_proj.weight").shape()).containsExactly(kvHeads * headDim, hidden);
                assertThat(ck.info(p + "v_proj.weight").shape()).containsExactly(kvHeads * headDim, hidden);
            }
            assertThat(ck.contains("model.layers." + layers + ".self_attn.q_proj.weight")).isFalse();
            for (String name : ck.names()) assertThat(ck.info(name).dtype()).as(name).isEqualTo(dtype);
            boolean causalLm = config.get("architectures").get(0).asText().endsWith("ForCausalLM");
            assertThat(ck.contains("lm_head.weight")).isEqualTo(causalLm && !config.get("tie_word_embeddings").asBoolean());
            assertThat(ck.contains("score.weight")).isEqualTo(!causalLm);
        }
        int batch = ref.get("input_ids").size(), seq = ref.get("input_ids").get(0).size();
        try (SafetensorsFile out = SafetensorsFile.open(dir.resolve("expected_forward.safetensors"))) {
            if (ref.has("num_labels")) {
                assertThat(out.info("logits").shape()).containsExactly(batch, ref.get("num_labels").asInt());
            } else {
                assertThat(out.info("logits").shape()).containsExactly(batch, seq, vocab);
                assertThat(out.info("last_hidden").shape()).containsExactly(batch, seq, hidden);
            }
        }
    }

    static Stream<Path> foldersWithAnAdamwStep() throws IOException {
        return modelFolders().filter(d -> Files.exists(d.resolve("expected_lora_after_adamw.safetensors")));
    }

    /**
     * The gradient files name the trainable head copy as PEFT holds it in memory
     * ("score.modules_to_save.weight"); the saved adapter drops "modules_to_save".
     */
    private static Map<String, String> gradientNames(SafetensorsFile grads) {
        Map<String, String> gradName = new HashMap<>();
        for (String g : grads.names()) gradName.put(g.replace(".modules_to_save.", "."), g);
        return gradName;
    }

    /** The adapter and its gradients hold the same names and shapes. */
    @ParameterizedTest
    @MethodSource("modelFolders")
    void adapterAndGradientsAgree(Path dir) {
        try (SafetensorsFile init = SafetensorsFile.open(dir.resolve("adapter_init/adapter_model.safetensors"));
             SafetensorsFile grads = SafetensorsFile.open(dir.resolve("expected_lora_grads.safetensors"))) {
            Map<String, String> gradName = gradientNames(grads);
            assertThat(gradName.keySet()).containsExactlyInAnyOrderElementsOf(init.names());
            for (String name : init.names())
                assertThat(grads.info(gradName.get(name)).shape()).isEqualTo(init.info(name).shape());
        }
    }

    /**
     * The adapter after one AdamW step holds the adapter's names, and the step is the AdamW update
     * (torch.optim.AdamW, step 1 from zero state: the bias-corrected moments reduce it to
     * p·(1 − lr·wd) − lr·g/(|g| + eps)) with reference.json's hyperparameters. The bound 1e-6 is a
     * few float32 roundings of p (|p| < 1) and far below the step of about lr = 1e-3 itself, so a
     * mismatched or misread tensor fails.
     */
    @ParameterizedTest
    @MethodSource("foldersWithAnAdamwStep")
    void adamwStepIsTheAdamwUpdate(Path dir) throws IOException {
        JsonNode ref = JSON.readTree(dir.resolve("reference.json").toFile());
        JsonNode adamw = ref.get("lora").get("adamw");
        double lr = adamw.get("lr").asDouble(), wd = adamw.get("weight_decay").asDouble(), eps = adamw.get("eps").asDouble();
        try (SafetensorsFile init = SafetensorsFile.open(dir.resolve("adapter_init/adapter_model.safetensors"));
             SafetensorsFile grads = SafetensorsFile.open(dir.resolve("expected_lora_grads.safetensors"));
             SafetensorsFile after = SafetensorsFile.open(dir.resolve("expected_lora_after_adamw.safetensors"))) {
            Map<String, String> gradName = gradientNames(grads);
            assertThat(after.names()).containsExactlyInAnyOrderElementsOf(init.names());
            for (String name : init.names()) {
                float[] p = init.tensor(name).toFloatArray(), g = grads.tensor(gradName.get(name)).toFloatArray();
                float[] q = after.tensor(name).toFloatArray();
                for (int i = 0; i < p.length; i++) {
                    double expected = p[i] * (1 - lr * wd) - lr * g[i] / (Math.abs(g[i]) + eps);
                    assertThat((double) q[i]).as("%s[%d]", name, i).isCloseTo(expected, offset(1e-6));
                }
            }
        }
    }

    static byte[] bytesOf(Tensor t) {
        assertThat(t.isContiguous()).isTrue();
        long size = t.numel() * t.dtype().byteSize();
        byte[] out = new byte[(int) size];
        MemorySegment.copy(t.segment(), ValueLayout.JAVA_BYTE, t.offset() * t.dtype().byteSize(), out, 0, (int) size);
        return out;
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
