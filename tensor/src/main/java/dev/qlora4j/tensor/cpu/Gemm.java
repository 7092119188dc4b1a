package dev.qlora4j.tensor.cpu;

import dev.qlora4j.tensor.cpu.GemmPack.ArrayB;
import dev.qlora4j.tensor.cpu.GemmPack.BSource;
import dev.qlora4j.tensor.cpu.GemmPack.SegmentB;

import java.lang.foreign.MemorySegment;

/**
 * C = α·op(A)·op(B) + β·C in F32, the BLIS way: B is packed a KC×NC panel at a time (in L3, its
 * NR-column slivers streamed through L1), A a MC×KC block at a time (in L2), and a register-blocked
 * micro-kernel ({@link GemmKernel}) runs over every MR×NR tile.
 *
 * <p>Threads split C into a grid of blocks ({@link #grid}), and each thread packs both operands
 * for its block itself. Packing a shared B panel once and having all threads read it looked
 * cheaper but measured 10–15 % slower on two cores: the panel then has to move between the cores'
 * caches, and every panel needs a barrier. With private blocks a product is one parallel job.
 *
 * <p>Conventions as in BLAS, row-major: op(X) is X or Xᵀ; a matrix is an array, an element offset
 * and a leading dimension; β = 0 overwrites C without reading it; nothing outside C's m×n window is
 * written. B may also be a {@link MemorySegment} of F32 or BF16 (weights), widened while packing.
 */
public final class Gemm {
    private Gemm() {}

    private static final int MR = GemmKernel.MR, NR = GemmKernel.NR;
    /**
     * Depth of the packed panels. A B sliver (KC·NR floats: 64 KiB with AVX-512) streams from L2
     * past a 48 KiB L1 without loss; measured on Zen 5, 512 beat 256 and 384 by a few percent
     * (fewer passes over C, fewer packing calls).
     */
    static final int KC = 512;
    /** Rows of a packed A block at most: MC_MAX·KC floats (288 KiB with AVX-512) stay in L2. */
    static final int MC_MAX = MR * 12;
    /** Columns of a packed B panel at most: KC·NC_MAX floats (4 MiB with AVX-512) per thread, in L3. */
    static final int NC_MAX = NR * 64;
    /**
     * Up to this many rows of A, {@link Gemv} streams B once instead of packing it: packing reads and
     * writes every element of B, which only pays off when the packed panel is used for many rows.
     */
    static final int GEMV_MAX_ROWS = 4;
    /** Below this many multiply-adds a GEMM runs on the calling thread: a fork would cost more. */
    static final long PARALLEL_MIN = 1L << 18;

    /** Packing buffers of one thread, grown on demand and reused by every later GEMM. */
    private static final class Buffers {
        float[] a = new float[MC_MAX * KC + GemmPack.A_SLACK], b = new float[0];
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

    static void run(int m, int n, int k, float alpha, float[] a, int aOff, int lda, boolean transA, BSource b,
                            float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == 0f) {
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        // 4-bit weights always go through the packing path, which dequantizes block panels
        if (m <= GEMV_MAX_ROWS && !(b instanceof Nf4B)) {
            Gemv.run(m, n, k, alpha, a, aOff, lda, transA, b, beta, c, cOff, ldc);
            return;
        }
        packed(m, n, k, alpha, a, aOff, lda, transA, b, beta, c, cOff, ldc);
    }

    /** The packed BLIS path whatever the shape (tests compare {@link Gemv} with it). */
    static void packed(int m, int n, int k, float alpha, float[] a, int aOff, int lda, boolean transA, BSource b,
                       float beta, float[] c, int cOff, int ldc) {
        int threads = (long) m * n * k >= PARALLEL_MIN ? Parallel.threads() : 1;
        if (!b.anyThread()) threads = 1;
        int[] grid = grid(threads, m, n);
        int tm = grid[0], tn = grid[1];
        if (tm * tn == 1) {
            serial(m, n, k, alpha, a, aOff, lda, transA, b, 0, beta, c, cOff, ldc);
            return;
        }
        // each thread owns a block of C and packs everything it reads: no sharing, no barriers
        Parallel.parts(tm * tn, (from, to) -> {
            for (int t = from; t < to; t++) {
                int r0 = split(m, tm, t / tn, MR), r1 = split(m, tm, t / tn + 1, MR);
                int c0 = split(n, tn, t % tn, NR), c1 = split(n, tn, t % tn + 1, NR);
                if (r0 < r1 && c0 < c1)
                    serial(r1 - r0, c1 - c0, k, alpha, a, aOff + (transA ? r0 : r0 * lda), lda, transA, b, c0,
                            beta, c, cOff + r0 * ldc + c0, ldc);
            }
        });
    }

    /**
     * Packing one element costs about as much as 40 multiply-adds of the kernel (0.3 ns against
     * 2·k flops at ~250 GFLOP/s per core, measured on Zen 5), per unit of depth k.
     */
    private static final double PACK_COST = 40;

    /**
     * How to cut C among the threads: tm row blocks × tn column blocks. A thread's time is its
     * share of whole micro-tiles (an edge tile costs as much as a full one) plus packing its rows of
     * A and columns of B; the grid with the smallest largest share wins. A grid is allowed only if
     * every thread gets at least one micro-tile of rows and of columns; with too few tiles for all
     * threads, fewer threads are used.
     */
    static int[] grid(int threads, int m, int n) {
        int[] best = {1, 1};
        double bestCost = Double.MAX_VALUE;
        int rowTiles = ceilDiv(m, MR), colTiles = ceilDiv(n, NR);
        for (int t = threads; t >= 1 && bestCost == Double.MAX_VALUE; t--)
            for (int tm = t; tm >= 1; tm--) {   // on a tie, split rows: B's packing is the cheaper to repeat
                if (t % tm != 0 || tm > rowTiles || t / tm > colTiles) continue;
                double rows = (double) ceilDiv(rowTiles, tm) * MR, cols = (double) ceilDiv(colTiles, t / tm) * NR;
                double cost = rows * cols + PACK_COST * (rows + cols);
                if (cost < bestCost) {
                    bestCost = cost;
                    best = new int[]{tm, t / tm};
                }
            }
        return best;
    }

    /** The i-th of {@code parts} boundaries of [0, total), on a multiple of {@code align} (the last is total). */
    private static int split(int total, int parts, int i, int align) {
        if (i >= parts) return total;
        return Math.min(total, (int) ((long) ceilDiv(total, align) * i / parts) * align);
    }

    /**
     * The BLIS loops on the calling thread: C[m, n] at cOff, whose columns are B's columns from
     * bCol0 on. Row blocks are equal multiples of MR so that at most one block has a ragged edge.
     */
    private static void serial(int m, int n, int k, float alpha, float[] a, int aOff, int lda, boolean transA, BSource b,
                               int bCol0, float beta, float[] c, int cOff, int ldc) {
        Buffers buf = BUFFERS.get();
        int mBlocks = ceilDiv(m, MC_MAX), mc = ceilDiv(ceilDiv(m, mBlocks), MR) * MR;
        for (int jc = 0; jc < n; jc += NC_MAX) {
            int nc = Math.min(NC_MAX, n - jc), slivers = ceilDiv(nc, NR);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float[] bp = buf.b(slivers * kc * NR);
                for (int s = 0; s < slivers; s++)
                    b.pack(pc, kc, bCol0 + jc + s * NR, Math.min(NR, nc - s * NR), bp, s * kc * NR);
                float betaHere = pc == 0 ? beta : 1f;
                for (int i0 = 0; i0 < m; i0 += mc) {
                    int rows = Math.min(mc, m - i0);
                    GemmPack.packA(a, aOff, lda, transA, i0, rows, pc, kc, buf.a);
                    macroKernel(rows, kc, slivers, nc, buf.a, bp, c, cOff + i0 * ldc + jc, ldc, alpha, betaHere, buf.edge);
                }
            }
        }
    }

    /** One packed A block [mc, kc] times the packed B panel's slivers into C at co. */
    private static void macroKernel(int mc, int kc, int slivers, int nc, float[] ap, float[] bp,
                                    float[] c, int co, int ldc, float alpha, float beta, float[] edge) {
        for (int s = 0; s < slivers; s++) {
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
