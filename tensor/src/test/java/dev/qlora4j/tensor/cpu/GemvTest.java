package dev.qlora4j.tensor.cpu;

import dev.qlora4j.tensor.cpu.GemmPack.ArrayB;
import dev.qlora4j.tensor.cpu.GemmPack.BSource;
import dev.qlora4j.tensor.cpu.GemmPack.SegmentB;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The few-row path ({@link Gemv}, taken by {@link Gemm} for m ≤ {@link Gemm#GEMV_MAX_ROWS})
 * against the packed GEMM on the same operands: F32 arrays and F32/BF16 segments, both layouts of
 * B, shapes with ragged edges and shapes large enough to be split among threads. The exact layout
 * contract (offsets, leading dimensions, α, β, the window of C) is GemmContractTest's, whose small
 * shapes take this path too.
 */
class GemvTest {
    private static final SplittableRandom RANDOM = new SplittableRandom(5);

    private static float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (RANDOM.nextDouble() * 2 - 1);
        return a;
    }

    static Stream<Arguments> shapes() {
        // (m, n, k): edges of the 4-row and 4·L-column blocks, odd depths, and decode-sized weights
        int[][] mnk = {{1, 1, 1}, {1, 3, 17}, {2, 5, 16}, {3, 63, 31}, {4, 65, 100}, {1, 512, 512}, {1, 2048, 512},
                {2, 512, 2048}, {4, 130, 1000}, {1, 4099, 64}};
        return Stream.of(mnk).flatMap(s -> Stream.of(false, true).map(tb -> Arguments.of(s[0], s[1], s[2], tb)));
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transB={3}")
    @MethodSource("shapes")
    void matchesThePackedGemm(int m, int n, int k, boolean tb) {
        int lda = k + 1, ldb = (tb ? k : n) + 3, ldc = n + 2;
        float[] a = random(m * lda), b = random((tb ? n : k) * ldb);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment f32 = arena.allocate(b.length * 4L), bf16 = arena.allocate(b.length * 2L);
            for (int i = 0; i < b.length; i++) {
                f32.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, b[i]);
                bf16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(b[i]) >>> 16));
            }
            BSource[] sources = {new ArrayB(b, 0, ldb, tb), new SegmentB(f32, 0, ldb, tb, false), new SegmentB(bf16, 0, ldb, tb, true)};
            for (BSource src : sources)
                for (float[] ab : new float[][]{{1f, 0f}, {-0.5f, 2f}}) {
                    float[] c0 = random(m * ldc), want = c0.clone(), got = c0.clone();
                    Gemm.packed(m, n, k, ab[0], a, 0, lda, false, src, ab[1], want, 0, ldc);
                    Gemv.run(m, n, k, ab[0], a, 0, lda, false, src, ab[1], got, 0, ldc);
                    for (int i = 0; i < got.length; i++) {
                        // both sum k products of magnitude < 1 in different orders
                        double tol = 1e-6 * (k + 2) * (Math.abs(ab[0]) + Math.abs(ab[1]));
                        assertThat((double) got[i]).as("%s α=%s β=%s at %d", src.getClass().getSimpleName(), ab[0], ab[1], i)
                                .isCloseTo(want[i], org.assertj.core.data.Offset.offset(tol));
                    }
                }
        }
    }

    @Test
    void transposedAIsReadAsItsRows() {
        int m = 3, n = 70, k = 45;
        float[] at = random(k * m), b = random(n * k), a = new float[m * k];
        for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) a[i * k + p] = at[p * m + i];
        float[] want = new float[m * n], got = new float[m * n];
        Gemv.run(m, n, k, 1f, a, 0, k, false, new ArrayB(b, 0, k, true), 0f, want, 0, n);
        Gemv.run(m, n, k, 1f, at, 0, m, true, new ArrayB(b, 0, k, true), 0f, got, 0, n);
        assertThat(got).containsExactly(want);
    }

    /** Every entry is summed in the same order wherever the columns are cut: pieces agree bit for bit. */
    @Test
    void resultDoesNotDependOnTheColumnSplit() {
        int m = 2, n = 301, k = 203;
        float[] a = random(m * k);
        for (boolean tb : new boolean[]{false, true}) {
            float[] b = random(n * k);
            int ldb = tb ? k : n;
            float[] whole = new float[m * n], pieces = new float[m * n];
            Gemv.run(m, n, k, 1f, a, 0, k, false, new ArrayB(b, 0, ldb, tb), 0f, whole, 0, n);
            int[] cuts = {0, 1, 6, 7, 70, 133, 134, 300, n};
            for (int s = 0; s + 1 < cuts.length; s++) {
                int j0 = cuts[s], cols = cuts[s + 1] - j0;
                int bOff = tb ? j0 * k : j0;
                Gemv.run(m, cols, k, 1f, a, 0, k, false, new ArrayB(b, bOff, ldb, tb), 0f, pieces, j0, n);
            }
            assertThat(pieces).as("transB=" + tb).containsExactly(whole);
        }
    }
}
