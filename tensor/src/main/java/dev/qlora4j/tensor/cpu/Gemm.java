package dev.qlora4j.tensor.cpu;

import dev.qlora4j.tensor.cpu.GemmPack.ArrayB;
import dev.qlora4j.tensor.cpu.GemmPack.BSource;
import dev.qlora4j.tensor.cpu.GemmPack.SegmentB;

import java.lang.foreign.MemorySegment;

/**
 * C = α·op(A)·op(B) + β·C in F32, the BLIS way: B is packed a KC×NC panel at a time (it stays in
 * L3 and its NR-column slivers in L1), A a MC×KC block at a time (in L2), and a register-blocked
 * micro-kernel ({@link GemmKernel}) runs over every MR×NR tile. Threads split the blocks of rows
 * of C (and the columns when there are fewer row blocks than threads); each packs its own A block,
 * all share the packed B panel.
 *
 * <p>Conventions as in BLAS, row-major: op(X) is X or Xᵀ; a matrix is an array, an element offset
 * and a leading dimension; β = 0 overwrites C without reading it; nothing outside C's m×n window is
 * written. B may also be a {@link MemorySegment} of F32 or BF16 (weights), widened while packing.
 */
public final class Gemm {
    private Gemm() {}

    private static final int MR = GemmKernel.MR, NR = GemmKernel.NR;
    /** Depth of a packed panel: one B sliver, KC·NR floats (32 KiB with AVX-512), fits L1. */
    static final int KC = 256;
    /** Rows of a packed A block at most: MC_MAX·KC floats (up to 144 KiB) stays in L2. */
    static final int MC_MAX = MR * 12;
    /** Columns of a packed B panel at most (4 MiB with AVX-512), sized for a shared L3. */
    static final int NC_MAX = NR * 128;
    /** Below this many multiply-adds a GEMM runs on the calling thread: a fork would cost more. */
    static final long PARALLEL_MIN = 1L << 18;

    /** Packing buffers of one thread, grown on demand and reused by every later GEMM. */
    private static final class Buffers {
        float[] a = new float[MC_MAX * KC], b = new float[0];
        final float[] edge = new float[MR * NR];

        float[] b(int size) {
            if (b.length < size) b = new float[size];
            return b;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** C[m, n] (at cOff, row stride ldc) = α·op(A)[m, k]·op(B)[k, n] + β·C, all F32 arrays. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        run(m, n, k, alpha, a, aOff, lda, transA, new ArrayB(b, bOff, ldb, transB), beta, c, cOff, ldc);
    }

    /** As {@link #sgemm}, with B in a segment of F32 or (bf16) BF16 elements; offsets in elements. */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, MemorySegment b, long bOff, long ldb, boolean bf16,
                            float beta, float[] c, int cOff, int ldc) {
        run(m, n, k, alpha, a, aOff, lda, transA, new SegmentB(b, bOff, ldb, transB, bf16), beta, c, cOff, ldc);
    }

    /**
     * {@code batch} independent products, operand i at offset + i·stride (a stride of 0 repeats
     * the operand, as a broadcast batch does). Small products run one per thread; large ones one
     * after the other, each on all threads.
     */
    public static void sgemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    float[] a, int aOff, int lda, long strideA, float[] b, int bOff, int ldb, long strideB,
                                    float beta, float[] c, int cOff, int ldc, long strideC) {
        Parallel.RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++)
                sgemm(transA, transB, m, n, k, alpha, a, (int) (aOff + i * strideA), lda, b, (int) (bOff + i * strideB), ldb,
                        beta, c, (int) (cOff + i * strideC), ldc);
        };
        long work = (long) m * n * Math.max(k, 1);
        if (work >= PARALLEL_MIN) body.run(0, batch);
        else Parallel.range(batch, (int) Math.max(1, PARALLEL_MIN / work), body);
    }

    private static void run(int m, int n, int k, float alpha, float[] a, int aOff, int lda, boolean transA, BSource b,
                            float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0f) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        int threads = (long) m * n * k >= PARALLEL_MIN ? Parallel.threads() : 1;
        // equal row blocks, a multiple of MR each and a multiple of the threads in number where m allows
        int mBlocks = ceilDiv(m, MC_MAX);
        if (threads > 1 && m >= threads * MR) mBlocks = ceilDiv(mBlocks, threads) * threads;
        int mc = ceilDiv(ceilDiv(m, mBlocks), MR) * MR;
        mBlocks = ceilDiv(m, mc);
        Buffers own = BUFFERS.get();
        for (int jc = 0; jc < n; jc += NC_MAX) {
            int nc = Math.min(NC_MAX, n - jc), slivers = ceilDiv(nc, NR);
            // too few row blocks to occupy every thread: split the columns as well
            int nChunks = Math.min(slivers, Math.max(1, ceilDiv(threads, mBlocks)));
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc), j0 = jc, p0 = pc;
                float[] bp = own.b(slivers * kc * NR);
                int packParts = b.anyThread() ? Math.min(threads, slivers) : 1;
                Parallel.parts(packParts, (from, to) -> {
                    for (int part = from; part < to; part++)
                        for (int s = part * slivers / packParts; s < (part + 1) * slivers / packParts; s++)
                            b.pack(p0, kc, j0 + s * NR, Math.min(NR, nc - s * NR), bp, s * kc * NR);
                });
                float betaHere = pc == 0 ? beta : 1f;
                int tasks = mBlocks * nChunks, mcFinal = mc;
                Parallel.parts(tasks, (from, to) -> {
                    Buffers mine = BUFFERS.get();
                    for (int task = from; task < to; task++) {
                        int i0 = task / nChunks * mcFinal, chunk = task % nChunks, rows = Math.min(mcFinal, m - i0);
                        GemmPack.packA(a, aOff, lda, transA, i0, rows, p0, kc, mine.a);
                        macroKernel(rows, kc, chunk * slivers / nChunks, (chunk + 1) * slivers / nChunks, nc, mine.a, bp,
                                c, cOff + i0 * ldc + j0, ldc, alpha, betaHere, mine.edge);
                    }
                });
            }
        }
    }

    /** One packed A block [mc, kc] times B slivers [s0, s1) of the packed panel into C at co. */
    private static void macroKernel(int mc, int kc, int s0, int s1, int nc, float[] ap, float[] bp,
                                    float[] c, int co, int ldc, float alpha, float beta, float[] edge) {
        for (int s = s0; s < s1; s++) {
            int nr = Math.min(NR, nc - s * NR), bo = s * kc * NR;
            for (int i = 0; i < mc; i += MR) {
                int mr = Math.min(MR, mc - i), ao = i * kc, ct = co + i * ldc + s * NR;
                if (mr == MR && nr == NR) {
                    GemmKernel.tile(kc, ap, ao, bp, bo, c, ct, ldc, alpha, beta);
                } else {
                    // an edge tile: compute it whole into a scratch tile, write back the part inside C
                    GemmKernel.tile(kc, ap, ao, bp, bo, edge, 0, NR, 1f, 0f);
                    for (int r = 0; r < mr; r++)
                        for (int j = 0; j < nr; j++) {
                            int ci = ct + r * ldc + j;
                            float v = alpha * edge[r * NR + j];
                            c[ci] = beta == 0f ? v : v + beta * c[ci];
                        }
                }
            }
        }
    }

    /** C = β·C, and C = 0 for β = 0 (whatever C held, NaN included). */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            if (beta == 0f) java.util.Arrays.fill(c, row, row + n, 0f);
            else if (beta != 1f) for (int j = 0; j < n; j++) c[row + j] *= beta;
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
