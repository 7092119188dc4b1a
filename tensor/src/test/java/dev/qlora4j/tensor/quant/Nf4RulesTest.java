package dev.qlora4j.tensor.quant;

import dev.qlora4j.tensor.io.PyFloat;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The quantization rules derived by hand from bitsandbytes' code, independent of the fixtures. */
class Nf4RulesTest {
    @Test
    void codebookIsSortedWithZeroAtSevenAndEndsAtOne() {
        float[] c = Nf4.codebook();
        assertThat(c).hasSize(16);
        for (int i = 0; i < 15; i++) assertThat(c[i]).isLessThan(c[i + 1]);
        assertThat(c[0]).isEqualTo(-1f);
        assertThat(c[7]).isEqualTo(0f);
        assertThat(c[15]).isEqualTo(1f);
        // each listed Python double, rounded to float32 as torch.tensor does
        assertThat(c[1]).isEqualTo((float) -0.6961928009986877);
        assertThat(c[14]).isEqualTo((float) 0.7229568362236023);
    }

    @Test
    void tiesGoToTheLowerCodeAndNeighboursOfAMidpointSplit() {
        float[] c = Nf4.codebook(), mid = Nf4.midpoints();
        for (int i = 0; i < 15; i++) {
            assertThat(mid[i]).isEqualTo((c[i] + c[i + 1]) / 2f);
            assertThat(Nf4.code(mid[i])).as("midpoint %d", i).isEqualTo(i);
            assertThat(Nf4.code(Math.nextUp(mid[i]))).isEqualTo(i + 1);
            assertThat(Nf4.code(Math.nextDown(mid[i]))).isEqualTo(i);
        }
        for (int i = 0; i < 16; i++) assertThat(Nf4.code(c[i])).isEqualTo(i);
        assertThat(Nf4.code(-0.0f)).isEqualTo(7);
        assertThat(Nf4.code(0.0f)).isEqualTo(7);
    }

    @Test
    void dynamicMapHasTheDocumentedShape() {
        float[] m = DynamicMap.values();
        assertThat(m).hasSize(256);
        for (int i = 0; i < 255; i++) assertThat(m[i]).isLessThan(m[i + 1]);
        assertThat(m[127]).isEqualTo(0f);
        assertThat(m[255]).isEqualTo(1f);
        assertThat(Float.floatToRawIntBits(m[0])).isEqualTo(0xbf7e3333);   // -(1e0 · (0.9875 + 1)/2 … ) = -0.99296874
        // the smallest magnitudes: 1e-6 · (0.1 + 1)/2 with linspace(0.1, 1, 2) = [0.1, 1]
        assertThat(m[128]).isEqualTo((float) 1e-6 * ((0.1f + 1f) / 2f));
        assertThat(m[126]).isEqualTo(-m[128]);
        for (int i = 0; i < 255; i++) assertThat(DynamicMap.code((m[i] + m[i + 1]) / 2f)).isEqualTo(i);
    }

    @Test
    void linspaceCountsFromBothEnds() {
        float[] l = DynamicMap.linspace(0.1f, 1f, 5);
        float step = (1f - 0.1f) / 4;
        assertThat(l).containsExactly(0.1f, Math.fma(step, 1f, 0.1f), Math.fma(-step, 2f, 1f), Math.fma(-step, 1f, 1f), 1f);
    }

    @Test
    void packingPutsTheFirstElementInTheHighNibbleAndPadsOddCountsWithSeven() {
        // n = 3 < 64: one partial block, absmax 1; codes 15, 0, 7 and the pad 7
        Nf4Weight w = Nf4Quantizer.quantize(Tensor.of(new float[]{1f, -1f, 0f}, 1, 3), 64, false, "w");
        assertThat(w.packed().toArray(ValueLayout.JAVA_BYTE)).containsExactly((byte) 0xF0, (byte) 0x77);
        assertThat(w.scales().absmax(0)).isEqualTo(1f);
        assertThat(w.code(0)).isEqualTo(15);
        assertThat(w.code(1)).isEqualTo(0);
        assertThat(w.code(2)).isEqualTo(7);
    }

    @Test
    void blocksCrossRowsAndTheStoredPartialAbsmaxIsFloored() {
        // [3, 30]: 90 values = one full block of 64 (rows 0, 1 and 4 values of row 2) + 26 zeros
        float[] x = new float[90];
        x[0] = -2f;
        x[63] = 0.5f;
        Nf4Weight w = Nf4Quantizer.quantize(Tensor.of(x, 3, 30), 64, false, "w");
        assertThat(w.blocks()).isEqualTo(2);
        assertThat(w.scales().absmax(0)).isEqualTo(2f);
        assertThat(w.code(0)).isEqualTo(0);
        assertThat(w.code(63)).isEqualTo(Nf4.code(0.25f));
        assertThat(w.scales().absmax(1)).isEqualTo(1e-38f);
        assertThat(Float.floatToRawIntBits(1e-38f)).isEqualTo(0x006ce3ee);
        assertThat(w.code(64)).isEqualTo(7);
    }

    @Test
    void allZeroFullBlockStoresZeroAbsmaxAndDequantizesToPositiveZero() {
        Nf4Weight w = Nf4Quantizer.quantize(Tensor.zeros(1, 64), 64, false, "w");
        assertThat(w.scales().absmax(0)).isEqualTo(0f);
        assertThat(w.packed().toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0x77);
        for (float v : Nf4Quantizer.dequantizeF32(w)) assertThat(Float.floatToRawIntBits(v)).isZero();
    }

    @Test
    void dequantizationRoundsTheFloat32ProductToTheWeightsDtype() {
        // absmax 0.3 (bf16 0.30078125): code 14 gives 0.7229568·0.30078125 in float32, then bf16
        float a = Tensor.of(new float[]{0.3f}, 1).to(DType.BF16).toFloatArray()[0];
        float[] x = new float[64];
        x[0] = a;
        x[1] = a * 0.7229568f;
        Nf4Weight w = Nf4Quantizer.quantize(Tensor.of(x, 1, 64).to(DType.BF16), 64, false, "w");
        assertThat(w.dtype()).isEqualTo(DType.BF16);
        float product = Nf4.codebook()[14] * a;
        assertThat(w.value(1)).isEqualTo(dev.qlora4j.tensor.Precision.roundToBf16(product));
    }

    @Test
    void torchMeanAddsLanesBeforeTheTail() {
        // 16 values: two 8-float vectors summed lane-wise, then the lanes in order:
        // lane 0 = 1e8 + (-1e8) = 0, lanes 1..7 = 2 each → 14 (a left-to-right sum loses the ones: 7)
        float[] x = new float[16];
        java.util.Arrays.fill(x, 1f);
        x[0] = 1e8f;
        x[8] = -1e8f;
        assertThat(TorchMean.sum(x)).isEqualTo(14f);
        assertThat(TorchMean.mean(x)).isEqualTo(14f / 16);
        // fewer than 8 values: a plain running sum
        assertThat(TorchMean.sum(new float[]{1e8f, 1f, 1f, 1f, -1e8f})).isEqualTo(0f);
        assertThat(TorchMean.ceilLog2(1)).isEqualTo(1);
        assertThat(TorchMean.ceilLog2(17)).isEqualTo(5);
        assertThat(TorchMean.ceilLog2(16)).isEqualTo(4);
    }

    @Test
    void pythonFloatRepr() {
        assertThat(PyFloat.repr(1e-05)).isEqualTo("1e-05");
        assertThat(PyFloat.repr(0.0001)).isEqualTo("0.0001");
        assertThat(PyFloat.repr(1e16)).isEqualTo("1e+16");
        assertThat(PyFloat.repr(1234567890123456.0)).isEqualTo("1234567890123456.0");
        assertThat(PyFloat.repr(0.1)).isEqualTo("0.1");
        assertThat(PyFloat.repr(0.1f)).isEqualTo("0.10000000149011612");
        assertThat(PyFloat.repr(100.0)).isEqualTo("100.0");
        assertThat(PyFloat.repr(-0.0)).isEqualTo("-0.0");
        assertThat(PyFloat.repr(1.5e-7)).isEqualTo("1.5e-07");
        assertThat(PyFloat.repr(7.10747738858919e+29)).isEqualTo("7.10747738858919e+29");
        assertThat(PyFloat.repr(Double.MIN_VALUE)).isEqualTo("5e-324");
        assertThat(PyFloat.json(Double.NaN)).isEqualTo("NaN");
        assertThat(PyFloat.json(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
    }

    @Test
    void quantStateRoundTripsAndRefusesWhatBitsandbytesRefuses() {
        QuantState s = new QuantState("nf4", 128, DType.F16, new int[]{3, 5}, new QuantState.Nested(256, 0.25f));
        assertThat(s.toJson()).isEqualTo("{\"quant_type\": \"nf4\", \"blocksize\": 128, \"dtype\": \"float16\", \"shape\": [3, 5], "
                + "\"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": 0.25}");
        assertThat(QuantState.parse(s.toBytes(), "t")).isEqualTo(s);
        assertThat(QuantState.parse(bytes("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [2, 4]}"), "t").nested()).isNull();

        assertRefused("{\"quant_type\": \"fp4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [1, 1]}",
                "FP4 4-bit weights are not supported, only NF4 (bnb_4bit_quant_type=\"nf4\") (t)");
        assertRefused("{\"quant_type\": \"nf4\", \"blocksize\": 48, \"dtype\": \"float32\", \"shape\": [1, 1]}",
                "blocksize 48 is not one of [32, 64, 128, 256, 512, 1024, 2048, 4096] (t)");
        assertRefused("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"int8\", \"shape\": [1, 1]}",
                "quant_state dtype \"int8\" is not float32, bfloat16 or float16 (t)");
        assertRefused("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [1, 1], \"x\": 1}",
                "unknown quant_state key \"x\" (t)");
        assertRefused("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [-1, 1]}",
                "quant_state shape [-1, 1] must hold non-negative integers (t)");
        assertRefused("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [1, 1], \"nested_blocksize\": 256}",
                "quant_state needs a string \"nested_dtype\" (t)");
        assertRefused("[1]", "quant_state must be a JSON object (t)");
        assertThatThrownBy(() -> QuantState.parse(bytes("{\"quant_type\": "), "t")).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("quant_state is not valid JSON").hasMessageEndingWith(" (t)").hasMessageNotContaining("\n");
    }

    @Test
    void quantizerRefusesBadWeights() {
        assertThatThrownBy(() -> Nf4Quantizer.quantize(Tensor.of(new float[]{1f, Float.NaN}, 1, 2), 64, false, "m.w"))
                .isInstanceOf(BadInputException.class).hasMessageEndingWith("(m.w)");
        float[] full = new float[128];
        full[70] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> Nf4Quantizer.quantize(Tensor.of(full, 2, 64), 64, true, "m.w"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("weight has a NaN or infinite value; 4-bit quantization needs finite weights (m.w)");
        full[70] = Float.NaN;
        assertThatThrownBy(() -> Nf4Quantizer.quantize(Tensor.of(full, 2, 64).to(DType.BF16), 64, true, "m.w"))
                .isInstanceOf(BadInputException.class);
        assertThatThrownBy(() -> Nf4Quantizer.quantize(Tensor.zeros(2, 2), 48, false, "m.w"))
                .isInstanceOf(BadInputException.class).hasMessage("4-bit blocksize 48 is not one of [32, 64, 128, 256, 512, 1024, 2048, 4096] (m.w)");
        assertThatThrownBy(() -> Nf4Quantizer.quantize(Tensor.zeros(4), 64, false, "m.w"))
                .isInstanceOf(BadInputException.class).hasMessage("a 4-bit weight must be 2-D, got shape [4] (m.w)");
    }

    @Test
    void otherBlocksizesQuantizeBlockByBlock() {
        float[] x = new float[300];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * (1 + i / 50f);
        for (int bs : QuantState.BLOCKSIZES) {
            Nf4Weight w = Nf4Quantizer.quantize(Tensor.of(x, 3, 100), bs, true, "w");
            assertThat(w.blocks()).isEqualTo((300 + bs - 1) / bs);
            float[] d = Nf4Quantizer.dequantizeF32(w);
            for (int i = 0; i < x.length; i++) {
                int b = i / bs;
                float am = 0;
                for (int j = b * bs; j < Math.min(300, b * bs + bs); j++) am = Math.max(am, Math.abs(x[j]));
                // each value lands within half the widest NF4 gap (0.3038/2) of the block scale, plus the 8-bit absmax error
                assertThat(Math.abs(d[i] - x[i])).as("bs %d, element %d", bs, i).isLessThanOrEqualTo(am * 0.16f + 0.02f * am);
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertRefused(String json, String message) {
        assertThatThrownBy(() -> QuantState.parse(bytes(json), "t")).isInstanceOf(BadInputException.class).hasMessage(message);
    }
}
