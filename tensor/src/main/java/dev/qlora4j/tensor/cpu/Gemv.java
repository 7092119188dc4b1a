package dev.qlora4j.tensor.cpu;

import dev.qlora4j.tensor.cpu.GemmPack.ArrayB;
import dev.qlora4j.tensor.cpu.GemmPack.BSource;
import dev.qlora4j.tensor.cpu.GemmPack.SegmentB;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The products of {@link Gemm} with a few rows of A (a decode step: one token times every weight
 * matrix). Packing B would read and write the whole weight to use it once, so here each element of
 * B is read exactly once, straight from its storage (float[], F32 or BF16 segment), and the few
 * rows of A stay in L1.
 *
 * <ul>
 *   <li>Transposed B (a weight W[n, k] used as Wᵀ, the forward of every projection): each C
 *       entry is a dot product of a contiguous row of W with a row of A; four rows of W at a
 *       time, four independent accumulator chains.</li>
 *   <li>Plain B [k, n]: each row of C is Σ_p A[i, p]·B[p, :], accumulated over a block of
 *       4·L columns held in registers while B's rows stream past.</li>
 * </ul>
 * Threads split the columns of C; every entry sums over k in the same order whatever the split.
 */
final class Gemv {
    private Gemv() {}

    private static final VectorSpecies<Float> S = VectorMath.S;
    private static final int L = VectorMath.L;
    /** Below this many multiply-adds one thread does it all (a job costs about a microsecond). */
    static final long PARALLEL_MIN = 1L << 15;

    /** C[m, n] = α·op(A)[m, k]·B[k, n] + β·C, for small m; conventions as {@link Gemm#sgemm}. */
    static void run(int m, int n, int k, float alpha, float[] a, int aOff, int lda, boolean transA, BSource b,
                    float beta, float[] c, int cOff, int ldc) {
        // rows of op(A) contiguous: copy them out when A is transposed (m·k floats, small)
        float[] x = a;
        int xOff = aOff, ldx = lda;
        if (transA) {
            x = new float[m * k];
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++) x[i * k + p] = a[aOff + p * lda + i];
            xOff = 0;
            ldx = k;
        }
        float[] xs = x;
        int xo = xOff, lx = ldx;
        Parallel.RangeBody body = (j0, j1) -> columns(m, j0, j1, k, alpha, xs, xo, lx, b, beta, c, cOff, ldc);
        long work = (long) m * n * k;
        if (work < PARALLEL_MIN || !b.anyThread()) body.run(0, n);
        else Parallel.range(n, (int) Math.max(1, PARALLEL_MIN / ((long) m * k)), body);
    }

    /** Columns [j0, j1) of C. */
    private static void columns(int m, int j0, int j1, int k, float alpha, float[] x, int xo, int ldx, BSource b,
                                float beta, float[] c, int cOff, int ldc) {
        float[] buf = new float[4 * L];
        boolean dotForm = b instanceof ArrayB ab ? ab.trans() : b instanceof SegmentB sb && sb.trans();
        for (int j = j0; j < j1; ) {
            int cols = Math.min(dotForm ? 4 : 4 * L, j1 - j);
            for (int i = 0; i < m; i++) {
                int xi = xo + i * ldx;
                switch (b) {
                    case ArrayB ab when dotForm -> dotsArray(cols, k, x, xi, ab.b(), ab.off() + j * ab.ld(), ab.ld(), buf);
                    case SegmentB sb when dotForm -> dotsSegment(sb, cols, k, x, xi, sb.off() + (long) j * sb.ld(), buf);
                    case ArrayB ab -> axpyArray(cols, k, x, xi, ab.b(), ab.off() + j, ab.ld(), buf);
                    case SegmentB sb -> axpySegment(sb, cols, k, x, xi, sb.off() + j, buf);
                    case Nf4B n -> throw new IllegalStateException("4-bit weights take the packed path");
                }
                int co = cOff + i * ldc + j;
                for (int q = 0; q < cols; q++) c[co + q] = beta == 0f ? alpha * buf[q] : alpha * buf[q] + beta * c[co + q];
            }
            j += cols;
        }
    }

    /*
     * Determinism: an entry of C must not depend on where the thread split falls. The dot form
     * computes a group of fewer than four rows with the four-row code (repeating its last row), so
     * every dot product is reduced the same way; the axpy form's scalar columns use Math.fma, which
     * rounds exactly as a vector lane's fma does.
     */

    /** out[r] = Σ_p x[xo + p]·w[wo + r·ld + p] for r < rows (1 to 4). */
    private static void dotsArray(int rows, int k, float[] x, int xo, float[] w, int wo, int ld, float[] out) {
        int r0 = wo, r1 = wo + Math.min(1, rows - 1) * ld, r2 = wo + Math.min(2, rows - 1) * ld, r3 = wo + (rows - 1) * ld;
        var s0 = FloatVector.zero(S);
        var s1 = FloatVector.zero(S);
        var s2 = FloatVector.zero(S);
        var s3 = FloatVector.zero(S);
        int p = 0;
        for (int bound = S.loopBound(k); p < bound; p += L) {
            var xv = FloatVector.fromArray(S, x, xo + p);
            s0 = FloatVector.fromArray(S, w, r0 + p).fma(xv, s0);
            s1 = FloatVector.fromArray(S, w, r1 + p).fma(xv, s1);
            s2 = FloatVector.fromArray(S, w, r2 + p).fma(xv, s2);
            s3 = FloatVector.fromArray(S, w, r3 + p).fma(xv, s3);
        }
        float d0 = VectorMath.lanesSum(s0), d1 = VectorMath.lanesSum(s1);
        float d2 = VectorMath.lanesSum(s2), d3 = VectorMath.lanesSum(s3);
        for (; p < k; p++) {
            float xp = x[xo + p];
            d0 = Math.fma(xp, w[r0 + p], d0);
            d1 = Math.fma(xp, w[r1 + p], d1);
            d2 = Math.fma(xp, w[r2 + p], d2);
            d3 = Math.fma(xp, w[r3 + p], d3);
        }
        out[0] = d0;
        out[1] = d1;
        out[2] = d2;
        out[3] = d3;
    }

    /** As {@link #dotsArray} for rows of a segment (F32 or BF16); wo in elements. */
    private static void dotsSegment(SegmentB w, int rows, int k, float[] x, int xo, long wo, float[] out) {
        long ld = w.ld(), r0 = wo, r1 = wo + Math.min(1, rows - 1) * ld, r2 = wo + Math.min(2, rows - 1) * ld, r3 = wo + (rows - 1) * ld;
        var s0 = FloatVector.zero(S);
        var s1 = FloatVector.zero(S);
        var s2 = FloatVector.zero(S);
        var s3 = FloatVector.zero(S);
        int p = 0;
        for (int bound = S.loopBound(k); p < bound; p += L) {
            var xv = FloatVector.fromArray(S, x, xo + p);
            s0 = w.vector(r0 + p).fma(xv, s0);
            s1 = w.vector(r1 + p).fma(xv, s1);
            s2 = w.vector(r2 + p).fma(xv, s2);
            s3 = w.vector(r3 + p).fma(xv, s3);
        }
        float d0 = VectorMath.lanesSum(s0), d1 = VectorMath.lanesSum(s1);
        float d2 = VectorMath.lanesSum(s2), d3 = VectorMath.lanesSum(s3);
        for (; p < k; p++) {
            float xp = x[xo + p];
            d0 = Math.fma(xp, w.at(r0 + p), d0);
            d1 = Math.fma(xp, w.at(r1 + p), d1);
            d2 = Math.fma(xp, w.at(r2 + p), d2);
            d3 = Math.fma(xp, w.at(r3 + p), d3);
        }
        out[0] = d0;
        out[1] = d1;
        out[2] = d2;
        out[3] = d3;
    }

    /** acc[j] = Σ_p x[xo + p]·b[bo + p·ld + j] for j < cols (≤ 4·L). */
    private static void axpyArray(int cols, int k, float[] x, int xo, float[] b, int bo, int ld, float[] acc) {
        if (cols == 4 * L) {
            var a0 = FloatVector.zero(S);
            var a1 = FloatVector.zero(S);
            var a2 = FloatVector.zero(S);
            var a3 = FloatVector.zero(S);
            for (int p = 0; p < k; p++) {
                var xp = FloatVector.broadcast(S, x[xo + p]);
                int row = bo + p * ld;
                a0 = FloatVector.fromArray(S, b, row).fma(xp, a0);
                a1 = FloatVector.fromArray(S, b, row + L).fma(xp, a1);
                a2 = FloatVector.fromArray(S, b, row + 2 * L).fma(xp, a2);
                a3 = FloatVector.fromArray(S, b, row + 3 * L).fma(xp, a3);
            }
            a0.intoArray(acc, 0);
            a1.intoArray(acc, L);
            a2.intoArray(acc, 2 * L);
            a3.intoArray(acc, 3 * L);
            return;
        }
        java.util.Arrays.fill(acc, 0, cols, 0f);
        int vec = S.loopBound(cols);
        for (int p = 0; p < k; p++) {
            float xp = x[xo + p];
            var xv = FloatVector.broadcast(S, xp);
            int row = bo + p * ld, j = 0;
            for (; j < vec; j += L) FloatVector.fromArray(S, b, row + j).fma(xv, FloatVector.fromArray(S, acc, j)).intoArray(acc, j);
            for (; j < cols; j++) acc[j] = Math.fma(xp, b[row + j], acc[j]);
        }
    }

    /** As {@link #axpyArray} for a segment (F32 or BF16) with rows ld apart; bo in elements. */
    private static void axpySegment(SegmentB b, int cols, int k, float[] x, int xo, long bo, float[] acc) {
        java.util.Arrays.fill(acc, 0, cols, 0f);
        int vec = S.loopBound(cols);
        for (int p = 0; p < k; p++) {
            float xp = x[xo + p];
            var xv = FloatVector.broadcast(S, xp);
            long row = bo + p * b.ld();
            int j = 0;
            for (; j < vec; j += L) b.vector(row + j).fma(xv, FloatVector.fromArray(S, acc, j)).intoArray(acc, j);
            for (; j < cols; j++) acc[j] = Math.fma(xp, b.at(row + j), acc[j]);
        }
    }
}
