package dev.qlora4j.tensor.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every case of fixtures/nf4 (bitsandbytes' default backend, checked against bitsandbytes itself):
 * quantization byte for byte (every serialized key, its dtype and shape), the 4-bit codes, the
 * quant_state JSON text, the double-quantization offset, the dequantized absmax values and the
 * dequantized weight, both from our own quantization and from the fixture's stored tensors.
 */
class Nf4FixtureTest {
    static final Path DIR = Path.of("..", "fixtures", "nf4");
    private static SafetensorsCheckpoint ckpt;
    private static JsonNode json;

    record Case(String name, String variant, JsonNode node) {
        boolean dq() {
            return variant.equals("dq");
        }

        String prefix() {
            return name + "." + variant;
        }

        @Override
        public String toString() {
            return prefix();
        }
    }

    @BeforeAll
    static void open() throws IOException {
        ckpt = SafetensorsCheckpoint.open(DIR.resolve("nf4_cases.safetensors"));
        json = new ObjectMapper().readTree(DIR.resolve("nf4_cases.json").toFile());
    }

    @AfterAll
    static void close() {
        ckpt.close();
    }

    static List<Case> cases() throws IOException {
        JsonNode root = new ObjectMapper().readTree(DIR.resolve("nf4_cases.json").toFile());
        List<Case> out = new ArrayList<>();
        for (JsonNode c : root.get("cases"))
            for (String v : List.of("nodq", "dq")) out.add(new Case(c.get("name").asText(), v, c));
        return out;
    }

    /** The double-quantized variant of every case. */
    static List<Case> dqCases() throws IOException {
        return cases().stream().filter(Case::dq).toList();
    }

    @Test
    void everyCaseIsCovered() throws IOException {
        assertThat(cases()).hasSize(2 * json.get("cases").size()).hasSizeGreaterThanOrEqualTo(26);
    }

    @Test
    void fixtureTensorsAreIntact() throws Exception {
        for (JsonNode c : json.get("cases"))
            for (var e : c.get("sha256").properties())
                assertThat(sha256(raw(ckpt.tensor(e.getKey())))).as(e.getKey()).isEqualTo(e.getValue().asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void quantizesToTheSameBytes(Case c) {
        Nf4Weight w = Nf4Quantizer.quantize(ckpt.tensor(c.name() + ".input"), 64, c.dq(), c.name());
        Map<String, Tensor> mine = Nf4StateDict.toStateDict(c.prefix() + ".weight", w);
        List<String> expectedKeys = new ArrayList<>();
        c.node().get("variants").get(c.variant()).get("state_dict_keys").forEach(k -> expectedKeys.add(k.asText()));
        assertThat(mine.keySet()).containsExactlyInAnyOrderElementsOf(expectedKeys);
        for (var e : mine.entrySet()) {
            Tensor want = ckpt.tensor(e.getKey());
            assertThat(e.getValue().dtype()).as(e.getKey()).isEqualTo(want.dtype());
            assertThat(e.getValue().shape()).as(e.getKey()).containsExactly(want.shape());
            assertThat(raw(e.getValue())).as(e.getKey()).isEqualTo(raw(want));
        }
        String stateJson = c.node().get("variants").get(c.variant()).get("quant_state_json").asText();
        assertThat(w.quantState().toJson()).isEqualTo(stateJson);
        assertThat(new String(raw(mine.get(c.prefix() + ".weight" + Nf4StateDict.QUANT_STATE)), StandardCharsets.UTF_8)).isEqualTo(stateJson);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void codesMatchElementByElement(Case c) {
        Nf4Weight w = Nf4Quantizer.quantize(ckpt.tensor(c.name() + ".input"), 64, c.dq(), c.name());
        byte[] codes = raw(ckpt.tensor(c.name() + ".codes"));
        assertThat(codes.length).isEqualTo(w.numel());
        for (int i = 0; i < codes.length; i++) assertThat(w.code(i)).as("element %d", i).isEqualTo(codes[i] & 0xff);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void dequantizesLikeBitsandbytes(Case c) {
        int[] want = bits(ckpt.tensor(c.prefix() + ".dequant"));
        Nf4Weight ours = Nf4Quantizer.quantize(ckpt.tensor(c.name() + ".input"), 64, c.dq(), c.name());
        Nf4Weight stored = Nf4StateDict.read(ckpt, c.prefix() + ".weight");
        assertThat(bits(Nf4Quantizer.dequantizeF32(ours))).isEqualTo(want);
        assertThat(bits(Nf4Quantizer.dequantizeF32(stored))).isEqualTo(want);
        Tensor typed = Nf4Quantizer.dequantize(stored);
        assertThat(typed.dtype()).isEqualTo(ckpt.tensor(c.name() + ".input").dtype());
        assertThat(bits(typed.toFloatArray())).isEqualTo(want);
        for (int i = 0; i < want.length; i += 7) assertThat(Float.floatToRawIntBits(stored.value(i))).isEqualTo(want[i]);
        assertThat(stored.quantState().toJson()).isEqualTo(c.node().get("variants").get(c.variant()).get("quant_state_json").asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dqCases")
    void doubleQuantizationOffsetAndScales(Case c) {
        JsonNode v = c.node().get("variants").get("dq");
        Nf4Weight w = Nf4Quantizer.quantize(ckpt.tensor(c.name() + ".input"), 64, true, c.name());
        float offset = ((BlockScales.Nested) w.scales()).offset();
        assertThat(String.format("0x%08x", Float.floatToRawIntBits(offset))).isEqualTo(v.get("nested_offset_f32_bits").asText());
        assertThat((double) offset).isEqualTo(v.get("nested_offset").asDouble());
        int[] want = bits(ckpt.tensor(c.prefix() + ".absmax_dequant"));
        Nf4Weight stored = Nf4StateDict.read(ckpt, c.prefix() + ".weight");
        for (int b = 0; b < want.length; b++) {
            assertThat(Float.floatToRawIntBits(w.scales().absmax(b))).as("block %d", b).isEqualTo(want[b]);
            assertThat(Float.floatToRawIntBits(stored.scales().absmax(b))).as("block %d", b).isEqualTo(want[b]);
        }
    }

    @Test
    void codeTablesMatchTheFixture() {
        float[] nf4 = Nf4.codebook();
        JsonNode code = json.get("nf4_code");
        for (int i = 0; i < 16; i++) assertThat((double) nf4[i]).isEqualTo(code.get(i).asDouble());
        assertThat(hex(Nf4.midpoints())).isEqualTo(strings(json.get("nf4_midpoints_f32_bits")));
        assertThat(hex(DynamicMap.values())).isEqualTo(strings(json.get("dynamic_map_f32_bits")));
        assertThat(new TreeSet<>(List.of(json.get("blocksize").asInt(), json.get("nested_blocksize").asInt())))
                .containsExactly(64, QuantState.NESTED_BLOCKSIZE);
    }

    static byte[] raw(Tensor t) {
        return t.segment().asSlice(t.offset() * t.dtype().byteSize(), t.numel() * t.dtype().byteSize()).toArray(ValueLayout.JAVA_BYTE);
    }

    static int[] bits(Tensor t) {
        return bits(t.toFloatArray());
    }

    static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) b[i] = Float.floatToRawIntBits(f[i]);
        return b;
    }

    private static List<String> hex(float[] f) {
        List<String> out = new ArrayList<>();
        for (float v : f) out.add(String.format("0x%08x", Float.floatToRawIntBits(v)));
        return out;
    }

    private static List<String> strings(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
