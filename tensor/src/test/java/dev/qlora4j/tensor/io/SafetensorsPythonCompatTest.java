package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * mixed_dtypes.safetensors was written by the reference writer (safetensors 0.8.0, see
 * make_mixed_dtypes.py next to it): every engine dtype, a scalar, an empty tensor, names whose
 * UTF-16 and UTF-8 orders differ, names and metadata that need escapes. The same tensors built
 * here from the script's formulas must serialise to exactly its bytes.
 */
class SafetensorsPythonCompatTest {
    static final Path MIXED = Path.of("src", "test", "resources", "safetensors", "mixed_dtypes.safetensors");
    static final String ESCAPED_NAME = "tab\there \"q\" back\\slash /\u0001\u007f";
    static final Map<String, String> METADATA = Map.of("note\n", "a\u001fb\"c/\u00e9");

    /** The script's tensors, built in Java; {@code strided} builds some of them as non-contiguous views. */
    static Map<String, Tensor> tensors(boolean strided) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        double[] f64b = new double[6];
        for (int i = 0; i < 6; i++) f64b[i] = i * 0.25 - 1;
        m.put("f64.b", wrap(MemorySegment.ofArray(f64b), DType.F64, 2, 3));
        m.put("f64.a", wrap(MemorySegment.ofArray(new double[]{3.5}), DType.F64));
        m.put("i64", wrap(MemorySegment.ofArray(new long[]{-3, 0, (1L << 53) + 1, Long.MIN_VALUE}), DType.I64, 4));
        float[] f32 = new float[12];
        for (int i = 0; i < 12; i++) f32[i] = i / 8f - 0.5f;
        if (strided) {
            // the [3, 4] tensor as the transpose of its own transpose: same values, strides (1, 3)
            float[] t = new float[12];
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) t[c * 3 + r] = f32[r * 4 + c];
            Tensor view = Tensor.of(t, 4, 3).t();
            assertThat(view.isContiguous()).isFalse();
            m.put("f32", view);
        } else {
            m.put("f32", Tensor.of(f32, 3, 4));
        }
        m.put("f32.empty", Tensor.zeros(DType.F32, 2, 0));
        m.put("Z", Tensor.vector(1));
        m.put("\u00e9", Tensor.vector(2));
        m.put("\uffff", Tensor.vector(3));
        m.put("\uD83D\uDE00", Tensor.vector(4));
        m.put(ESCAPED_NAME, Tensor.vector(5));
        m.put("i32", Tensor.ofInts(new int[]{Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}, 5));
        m.put("f16", wrap(MemorySegment.ofArray(new short[]{0x3C00, (short) 0xFC00, 0x7E01}), DType.F16, 3));
        m.put("i8", wrap(MemorySegment.ofArray(new byte[]{-128, -1, 0, 127}), DType.I8, 4));
        m.put("u8", wrap(MemorySegment.ofArray(new byte[]{0, (byte) 128, (byte) 255}), DType.U8, 3));
        if (strided) {
            // the even bytes of a [2, 2, 2] tensor: strides (4, 2)
            Tensor base = wrap(MemorySegment.ofArray(new byte[]{1, 9, 0, 9, 0, 9, 1, 9}), DType.BOOL, 2, 2, 2);
            Tensor view = base.select(2, 0);
            assertThat(view.isContiguous()).isFalse();
            m.put("bool", view);
        } else {
            m.put("bool", wrap(MemorySegment.ofArray(new byte[]{1, 0, 0, 1}), DType.BOOL, 2, 2));
        }
        m.put("bf16", wrap(MemorySegment.ofArray(new short[]{0x3F80, (short) 0xC000, 0x7FC0, 0x0001}), DType.BF16, 2, 2));
        return m;
    }

    private static Tensor wrap(MemorySegment s, DType t, int... shape) {
        return Tensor.wrap(s, t, shape);
    }

    @Test
    void javaBuiltTensorsSerialiseToThePythonBytes() throws IOException {
        byte[] python = Files.readAllBytes(MIXED);
        assertThat(SafetensorsWriter.toBytes(tensors(false), METADATA)).isEqualTo(python);
        assertThat(SafetensorsWriter.toBytes(tensors(true), METADATA)).isEqualTo(python);
    }

    @Test
    void writeToFileGivesThePythonBytes(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("mixed.safetensors");
        SafetensorsWriter.write(out, tensors(true), METADATA);
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(MIXED));
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).containsExactly(out);
        }
    }

    @Test
    void readsThePythonFile() {
        try (SafetensorsFile f = SafetensorsFile.open(MIXED)) {
            // reference layout: I64, F64, F32, I32, BF16, F16, I8, U8, BOOL; names by code point
            assertThat(f.names()).containsExactly("i64", "f64.a", "f64.b", "Z", "f32", "f32.empty", ESCAPED_NAME,
                    "\u00e9", "\uffff", "\uD83D\uDE00", "i32", "bf16", "f16", "i8", "u8", "bool");
            assertThat(f.metadata()).isEqualTo(METADATA);
            Map<String, Tensor> expected = tensors(false);
            for (String name : f.names()) {
                Tensor t = f.tensor(name);
                assertThat(t.dtype()).as(name).isEqualTo(expected.get(name).dtype());
                assertThat(t.shape()).as(name).isEqualTo(expected.get(name).shape());
                assertThat(SafetensorsFixturesTest.bytesOf(t)).as(name)
                        .isEqualTo(SafetensorsFixturesTest.bytesOf(expected.get(name).contiguous()));
            }
            assertThat(f.tensor("f64.a").rank()).isZero();
            assertThat(f.tensor("f64.a").segment().get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0)).isEqualTo(3.5);
            assertThat(f.tensor("i64").toLongArray()).containsExactly(-3, 0, (1L << 53) + 1, Long.MIN_VALUE);
            assertThat(f.tensor("bf16").toFloatArray()).containsExactly(1f, -2f, Float.NaN, Float.intBitsToFloat(0x00010000));
            assertThat(f.tensor("f16").get(1)).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(f.tensor("u8").toLongArray()).containsExactly(0, 128, 255);
            assertThat(f.tensor("i8").toLongArray()).containsExactly(-128, -1, 0, 127);
            assertThat(f.tensor("f32.empty").numel()).isZero();
            assertThat(f.info("f32.empty").byteSize()).isZero();
            assertThat(f.tensor("f32").toFloatArray()).containsExactly(tensors(false).get("f32").toFloatArray());
            assertThat(f.tensor(ESCAPED_NAME).item()).isEqualTo(5f);
        }
    }
}
