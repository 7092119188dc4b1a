package dev.qlora4j.tensor.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract of {@link Gemm} that the tensor ops rely on, checked against a double-precision
 * triple loop: C[m,n] = α·op(A)·op(B) + β·C with op(X) = X or Xᵀ read at an offset with a leading
 * dimension; β = 0 overwrites C (whatever it held, NaN included); nothing outside the m×n window of C
 * is written. Sizes run past typical blocking factors so a packed kernel's edges are exercised.
 */
class GemmContractTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(31);

    private static float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (RANDOM.nextDouble() * 2 - 1);
        return a;
    }

    /** op(X)[i, p] of a matrix stored at off with leading dimension ld. */
    private static double at(float[] x, int off, int ld, boolean trans, int i, int p) {
        return trans ? x[off + p * ld + i] : x[off + i * ld + p];
    }

    /** Checks C against the reference, and that entries outside the window kept their sentinel. */
    private static void verify(float[] c, float[] c0, int cOff, int ldc, int m, int n, int k, float alpha, float beta,
                               float[] a, int aOff, int lda, boolean ta, float[] b, int bOff, int ldb, boolean tb, String what) {
        boolean[] inside = new boolean[c.length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double prod = at(a, aOff, lda, ta, i, p) * at(b, bOff, ldb, tb, p, j);
                    s += prod;
                    mag += Math.abs(prod);
                }
                int ci = cOff + i * ldc + j;
                inside[ci] = true;
                double old = beta == 0 ? 0 : beta * c0[ci];
                double want = alpha * s + old;
                double tol = 1e-5 * (Math.abs(alpha) * mag + Math.abs(old)) + 1e-6;
                if (!(Math.abs(c[ci] - want) <= tol))
                    throw new AssertionError(what + ": C[" + i + ", " + j + "] = " + c[ci] + ", want " + want);
            }
        for (int i = 0; i < c.length; i++)
            if (!inside[i] && Float.floatToRawIntBits(c[i]) != Float.floatToRawIntBits(c0[i]))
                throw new AssertionError(what + ": wrote outside the window at " + i);
    }

    static Stream<Arguments> shapes() {
        int[][] mnk = {{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {3, 4, 1}, {6, 16, 8}, {7, 17, 33}, {70, 37, 300}, {13, 130, 5}, {29, 40, 600}};
        return Stream.of(mnk).flatMap(s -> Stream.of(false, true).flatMap(ta -> Stream.of(false, true).map(tb ->
                Arguments.of(s[0], s[1], s[2], ta, tb))));
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @MethodSource("shapes")
    void sgemmAllLayouts(int m, int n, int k, boolean ta, boolean tb) {
        // operands at offsets with padded leading dimensions
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5, aOff = 7, bOff = 4, cOff = 6;
        float[] a = random(aOff + (ta ? k : m) * lda), b = random(bOff + (tb ? n : k) * ldb);
        for (float[] ab : new float[][]{{1f, 0f}, {0.5f, 1f}, {-2f, 0.25f}}) {
            float alpha = ab[0], beta = ab[1];
            float[] c0 = random(cOff + m * ldc + 3);
            if (beta == 0) for (int i = 0; i < c0.length; i++) if (i % 3 == 0) c0[i] = Float.NaN;   // β = 0 ignores C
            float[] c = c0.clone();
            Gemm.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            verify(c, c0, cOff, ldc, m, n, k, alpha, beta, a, aOff, lda, ta, b, bOff, ldb, tb, "sgemm α=" + alpha + " β=" + beta);
        }
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @MethodSource("shapes")
    void gemmWithASegmentOperand(int m, int n, int k, boolean ta, boolean tb) {
        int lda = ta ? m : k, ldb = (tb ? k : n) + 1, ldc = n, bOff = 3;
        float[] a = random((ta ? k : m) * lda), b = random(bOff + (tb ? n : k) * ldb);
        try (Arena arena = Arena.ofConfined()) {
            // F32 on an unaligned native segment, and the same values rounded to BF16
            MemorySegment f32 = arena.allocate(b.length * 4L + 1).asSlice(1), bf16 = arena.allocate(b.length * 2L);
            float[] rounded = new float[b.length];
            for (int i = 0; i < b.length; i++) {
                f32.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, b[i]);
                int bits = Float.floatToRawIntBits(b[i]);
                short h = (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, h);
                rounded[i] = Float.intBitsToFloat((h & 0xffff) << 16);
            }
            for (boolean isBf16 : new boolean[]{false, true}) {
                float[] c0 = random(m * ldc), c = c0.clone();
                Gemm.gemm(ta, tb, m, n, k, 1f, a, 0, lda, isBf16 ? bf16 : f32, bOff, ldb, isBf16, 0f, c, 0, ldc);
                verify(c, c0, 0, ldc, m, n, k, 1f, 0f, a, 0, lda, ta, isBf16 ? rounded : b, bOff, ldb, tb, isBf16 ? "bf16" : "f32 segment");
                float[] acc = c0.clone();
                Gemm.gemm(ta, tb, m, n, k, 0.5f, a, 0, lda, isBf16 ? bf16 : f32, bOff, ldb, isBf16, 1f, acc, 0, ldc);
                verify(acc, c0, 0, ldc, m, n, k, 0.5f, 1f, a, 0, lda, ta, isBf16 ? rounded : b, bOff, ldb, tb, "accumulate");
            }
        }
    }

    @Test
    void batchedWithSharedAndStridedOperands() {
        int batch = 3, m = 9, n = 20, k = 35;
        for (boolean ta : new boolean[]{false, true})
            for (boolean tb : new boolean[]{false, true}) {
                int lda = ta ? m : k, ldb = tb ? k : n, sizeA = m * k + 2, ldc = n + 1;
                float[] a = random(1 + batch * sizeA), b = random(k * n);   // B shared by every batch (stride 0)
                int strideC = m * ldc + 4;
                float[] c0 = random(batch * strideC), c = c0.clone();
                Gemm.sgemmBatched(batch, ta, tb, m, n, k, 1f, a, 1, lda, sizeA, b, 0, ldb, 0, 0f, c, 0, ldc, strideC);
                // each batch's window against the reference; everything else (the gaps between windows) untouched
                for (int bi = 0; bi < batch; bi++) {
                    float[] window = c0.clone();
                    for (int i = 0; i < m; i++) System.arraycopy(c, bi * strideC + i * ldc, window, bi * strideC + i * ldc, n);
                    verify(window, c0, bi * strideC, ldc, m, n, k, 1f, 0f, a, 1 + bi * sizeA, lda, ta, b, 0, ldb, tb,
                            "batch " + bi + " transA=" + ta + " transB=" + tb);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) c[bi * strideC + i * ldc + j] = c0[bi * strideC + i * ldc + j];
                }
                assertThat(c).as("outside the windows").containsExactly(c0);
            }
    }

    @ParameterizedTest(name = "m={0} n={1} transA={2} transB={3}")
    @MethodSource("largeShapes")
    void shapesAcrossEveryBlockBoundary(int m, int n, boolean ta, boolean tb) {
        // two row blocks or two column panels, and two depth panels, with ragged edges in each
        int k = Gemm.KC + 3;
        int lda = ta ? m : k, ldb = tb ? k : n, ldc = n + 1;
        float[] a = random((ta ? k : m) * lda), b = random((tb ? n : k) * ldb), c0 = random(m * ldc + 1);
        float[] c = c0.clone(), serial = c0.clone();
        Gemm.sgemm(ta, tb, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, 0.5f, c, 0, ldc);
        verify(c, c0, 0, ldc, m, n, k, 0.75f, 0.5f, a, 0, lda, ta, b, 0, ldb, tb, "large");
        // inside a parallel job the product runs on one thread, so one thread walks every panel
        Parallel.range(2, 1, (from, to) -> {
            if (from == 0) Gemm.sgemm(ta, tb, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, 0.5f, serial, 0, ldc);
        });
        assertThat(serial).containsExactly(c);
    }

    @Test
    void gridBalancesWholeTilesThenPacking() {
        int mr = GemmKernel.MR, nr = GemmKernel.NR;
        assertThat(Gemm.grid(2, 4 * mr * nr, 4 * mr * nr)).as("a tie splits the rows").containsExactly(2, 1);
        assertThat(Gemm.grid(2, 43 * mr, 16 * nr)).as("43 row tiles split 22/21, 16 column tiles 8/8").containsExactly(1, 2);
        assertThat(Gemm.grid(2, 1000, 4000)).containsExactly(1, 2);
        assertThat(Gemm.grid(2, 5, 1000)).as("one row tile").containsExactly(1, 2);
        assertThat(Gemm.grid(2, 1000, 5)).as("one column tile").containsExactly(2, 1);
        assertThat(Gemm.grid(4, 4000, 4000)).containsExactly(2, 2);
        assertThat(Gemm.grid(2, mr, nr)).as("one tile: one thread").containsExactly(1, 1);
        assertThat(Gemm.grid(3, 2 * mr, 2 * nr)).as("too few tiles for 3: use 2").containsExactly(1, 2);
    }

    static Stream<Arguments> largeShapes() {
        int[][] mn = {{Gemm.MC_MAX + 7, 3 * GemmKernel.NR + 5}, {2 * GemmKernel.MR + 1, Gemm.NC_MAX + 5}};
        return Stream.of(mn).flatMap(s -> Stream.of(false, true).flatMap(ta -> Stream.of(false, true).map(tb ->
                Arguments.of(s[0], s[1], ta, tb))));
    }

    @Test
    void fewRowsSplitTheColumnsAcrossThreads() {
        // one row block: the threads share its columns instead
        int m = 3, n = 1000, k = 200;
        float[] a = random(m * k), b = random(k * n), c0 = random(m * n), c = c0.clone();
        Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        verify(c, c0, 0, n, m, n, k, 1f, 0f, a, 0, k, false, b, 0, n, false, "few rows");
    }

    @Test
    void resultDoesNotDependOnHowTheWorkIsSplit() {
        // every element sums over k in the same order whichever thread computes it, so a product run
        // on all threads equals, bit for bit, the same product run inline inside a parallel job
        int m = 200, n = 300, k = 700;
        float[] a = random(m * k), b = random(k * n), parallel = new float[m * n], inline = new float[m * n];
        Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, parallel, 0, n);
        Parallel.range(2, 1, (from, to) -> {
            if (from == 0) Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, inline, 0, n);
        });
        assertThat(inline).containsExactly(parallel);
    }
}
