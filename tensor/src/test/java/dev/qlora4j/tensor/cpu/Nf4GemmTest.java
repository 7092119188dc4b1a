package dev.qlora4j.tensor.cpu;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import dev.qlora4j.tensor.quant.Nf4Quantizer;
import dev.qlora4j.tensor.quant.Nf4StateDict;
import dev.qlora4j.tensor.quant.Nf4Weight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The NF4 GEMM against the F32 GEMM of the dequantized weight: packing dequantizes to exactly
 * {@code dequantize_4bit}'s values and the kernel is the same, so the products must agree bit for
 * bit, for Wᵀ (forward) and W (input gradient), on the vector path (rows of a multiple of 16
 * elements) and the scalar one, across panel, block and dtype boundaries.
 */
/** NF4 products always take the packed path, so they are compared with the F32 packed path (not Gemv's order). */
class Nf4GemmTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(5);

    private static float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (RANDOM.nextDouble() * 2 - 1);
        return a;
    }

    static Nf4Weight weight(int rows, int cols, DType dtype, int blocksize, boolean dq) {
        float[] w = random(rows * cols);
        // rows of very different scale, so every block has its own absmax
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) w[r * cols + c] *= (float) Math.exp((r % 7) - 3);
        return Nf4Quantizer.quantize(Tensor.of(w, rows, cols).to(dtype), blocksize, dq, "w");
    }

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{64, 64}, {96, 128}, {33, 30}, {100, 48}, {40, 600}, {600, 40}, {2100, 32}, {17, 1040}, {48, 7}};
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16};
        int i = 0;
        for (int[] s : shapes)
            for (DType t : dtypes)
                for (boolean dq : new boolean[]{false, true}) {
                    int bs = new int[]{64, 32, 128, 64, 4096, 64}[i++ % 6];
                    out.add(Arguments.of(s[0], s[1], t, bs, dq));
                }
        return out;
    }

    @ParameterizedTest(name = "[{0}, {1}] {2} bs {3} dq {4}")
    @MethodSource("cases")
    void equalsTheF32GemmOfTheDequantizedWeight(int rows, int cols, DType dtype, int bs, boolean dq) {
        Nf4Weight w = weight(rows, cols, dtype, bs, dq);
        float[] dense = Nf4Quantizer.dequantizeF32(w);
        for (int m : new int[]{1, 5, 37}) {
            // forward: C[m, rows] = A[m, cols] · Wᵀ
            float[] a = random(m * cols), want = new float[m * rows], got = new float[m * rows];
            Gemm.packed(m, rows, cols, 1f, a, 0, cols, false, new GemmPack.ArrayB(dense, 0, cols, true), 0f, want, 0, rows);
            Nf4Gemm.gemm(true, m, rows, cols, 1f, a, 0, cols, w, 0f, got, 0, rows);
            assertThat(got).as("Wᵀ, m = %d", m).isEqualTo(want);
            // input gradient: C[m, cols] = G[m, rows] · W, accumulated onto C (β = 1)
            float[] g = random(m * rows), c0 = random(m * cols);
            float[] want2 = c0.clone(), got2 = c0.clone();
            Gemm.packed(m, cols, rows, 0.5f, g, 0, rows, false, new GemmPack.ArrayB(dense, 0, cols, false), 1f, want2, 0, cols);
            Nf4Gemm.gemm(false, m, cols, rows, 0.5f, g, 0, rows, w, 1f, got2, 0, cols);
            assertThat(got2).as("W, m = %d", m).isEqualTo(want2);
        }
    }

    @Test
    void largeProductsSplitAcrossThreadsAgreeToo() {
        Nf4Weight w = weight(640, 1088, DType.BF16, 64, true);
        float[] dense = Nf4Quantizer.dequantizeF32(w);
        int m = 300;
        float[] a = random(m * 1088), want = new float[m * 640], got = new float[m * 640];
        Gemm.packed(m, 640, 1088, 1f, a, 0, 1088, false, new GemmPack.ArrayB(dense, 0, 1088, true), 0f, want, 0, 640);
        Nf4Gemm.gemm(true, m, 640, 1088, 1f, a, 0, 1088, w, 0f, got, 0, 640);
        assertThat(got).isEqualTo(want);
    }

    @Test
    void readsAWeightStraightFromTheMappedCheckpoint() {
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Path.of("..", "fixtures", "nf4", "nf4_cases.safetensors"))) {
            for (String name : List.of("c03_bf16_256x128.dq", "c02_f32_256x80.nodq", "c05_f32_33x30.dq")) {
                Nf4Weight w = Nf4StateDict.read(ckpt, name + ".weight");
                float[] dense = ckpt.tensor(name + ".dequant").toFloatArray();
                int m = 70, rows = w.rows(), cols = w.cols();
                float[] a = random(m * cols), want = new float[m * rows], got = new float[m * rows];
                Gemm.packed(m, rows, cols, 1f, a, 0, cols, false, new GemmPack.ArrayB(dense, 0, cols, true), 0f, want, 0, rows);
                Nf4Gemm.gemm(true, m, rows, cols, 1f, a, 0, cols, w, 0f, got, 0, rows);
                assertThat(got).as(name).isEqualTo(want);
            }
        }
    }
}
