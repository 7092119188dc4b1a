package dev.qlora4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Packing of GEMM operands into the sliver layout {@link GemmKernel} reads: A in slivers of MR
 * rows (element (i, p) of a sliver at p·MR + i), B in slivers of NR columns (element (p, j) at
 * p·NR + j). Slivers at the edge of the matrix are padded with zeros, so the kernel always runs a
 * full tile. Packing is also where operands change representation: a transposed operand becomes
 * k-major, and BF16 weights are widened to F32.
 */
final class GemmPack {
    private GemmPack() {}

    private static final int MR = GemmKernel.MR, NR = GemmKernel.NR, L = GemmKernel.L;
    private static final VectorSpecies<Float> S = GemmKernel.S;

    /**
     * Rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) into dst: sliver t (rows i0+t·MR ..) at
     * t·kc·MR. op(A)(i, p) is a[aOff + i·lda + p], or a[aOff + p·lda + i] when transposed.
     * The vector paths store whole vectors whose last lanes spill up to {@link #A_SLACK} floats
     * past the element they end on; the next store (or the next sliver) overwrites them, and dst
     * has that much room after the block.
     */
    static void packA(float[] a, int aOff, int lda, boolean trans, int i0, int mc, int p0, int kc, float[] dst) {
        for (int t = 0, i = i0; i < i0 + mc; t++, i += MR) {
            int rows = Math.min(MR, i0 + mc - i), base = t * kc * MR;
            if (trans) {
                if (L >= MR) {
                    // one row of the stored A holds MR consecutive rows of op(A): a masked load each
                    VectorMask<Float> m = S.indexInRange(0, rows);
                    for (int p = 0; p < kc; p++)
                        FloatVector.fromArray(S, a, aOff + (p0 + p) * lda + i, m).intoArray(dst, base + p * MR);
                } else {
                    for (int p = 0; p < kc; p++) {
                        int src = aOff + (p0 + p) * lda + i, d = base + p * MR;
                        System.arraycopy(a, src, dst, d, rows);
                        for (int r = rows; r < MR; r++) dst[d + r] = 0f;
                    }
                }
            } else {
                int pFull = 0;
                if (Transpose.AVAILABLE && rows == MR) {
                    // 16 columns of MR rows at a time, transposed in registers (rows MR..15 of the tile stay zero)
                    float[] tile = TILE.get();
                    for (pFull = 0; pFull + 16 <= kc; pFull += 16) {
                        for (int r = 0; r < MR; r++)
                            FloatVector.fromArray(Transpose.S, a, aOff + (i + r) * lda + p0 + pFull).intoArray(tile, r * 16);
                        Transpose.transpose16(tile, dst, base + pFull * MR, MR);
                    }
                }
                for (int r = 0; r < rows; r++) {
                    int src = aOff + (i + r) * lda + p0, d = base + r;
                    for (int p = pFull; p < kc; p++) dst[d + p * MR] = a[src + p];
                }
                for (int r = rows; r < MR; r++)
                    for (int p = pFull; p < kc; p++) dst[base + r + p * MR] = 0f;
            }
        }
    }

    /** Room dst needs after a packed A block for the vector stores' spill. */
    static final int A_SLACK = 16;

    /** A 16×16 staging tile per thread whose rows MR..15 are never written (zero). */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[256]);

    /** Where the elements of the B operand come from; packs one sliver at a time. */
    sealed interface BSource permits ArrayB, SegmentB, Nf4B {
        /** B rows [p0, p0+kc) × columns [j0, j0+nr), nr ≤ NR, into dst[d + p·NR + j]; columns nr..NR zero. */
        void pack(int p0, int kc, int j0, int nr, float[] dst, int d);

        /** Stored row j of a transposed B, elements p .. p+16, as F32 into tile[t ..]: B(p.., j). */
        void loadRow16(int p, int j, float[] tile, int t);

        /** dst[d + p·NR + j] = B(p0 + p, j0 + j) for p in [pFrom, pTo), j in [jFrom, jTo), one at a time. */
        void packScalar(int p0, int pFrom, int pTo, int j0, int jFrom, int jTo, float[] dst, int d);

        /** Whether threads other than the caller may read the operand (a confined segment may not). */
        default boolean anyThread() {
            return true;
        }
    }

    /** B(p, j) = b[off + p·ld + j], or b[off + j·ld + p] when transposed. */
    record ArrayB(float[] b, int off, int ld, boolean trans) implements BSource {
        @Override
        public void pack(int p0, int kc, int j0, int nr, float[] dst, int d) {
            if (trans) {
                packTransposed(this, p0, kc, j0, nr, dst, d);
            } else if (nr == NR) {
                for (int p = 0; p < kc; p++) {
                    int src = off + (p0 + p) * ld + j0, o = d + p * NR;
                    FloatVector.fromArray(S, b, src).intoArray(dst, o);
                    FloatVector.fromArray(S, b, src + L).intoArray(dst, o + L);
                }
            } else {
                for (int p = 0; p < kc; p++) System.arraycopy(b, off + (p0 + p) * ld + j0, dst, d + p * NR, nr);
                zeroColumns(kc, nr, dst, d);
            }
        }

        @Override
        public void loadRow16(int p, int j, float[] tile, int t) {
            FloatVector.fromArray(Transpose.S, b, off + j * ld + p).intoArray(tile, t);
        }

        @Override
        public void packScalar(int p0, int pFrom, int pTo, int j0, int jFrom, int jTo, float[] dst, int d) {
            for (int j = jFrom; j < jTo; j++) {
                int src = trans ? off + (j0 + j) * ld + p0 : off + p0 * ld + j0 + j, step = trans ? 1 : ld;
                for (int p = pFrom; p < pTo; p++) dst[d + p * NR + j] = b[src + p * step];
            }
        }
    }

    /**
     * B in a memory segment (frozen or memory-mapped weights), F32 or BF16, indexed in elements:
     * B(p, j) at off + p·ld + j, or off + j·ld + p when transposed. BF16 is widened here.
     */
    record SegmentB(MemorySegment b, long off, long ld, boolean trans, boolean bf16) implements BSource {
        /** L shorts and L ints: a BF16 vector and its widened bits. */
        private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
        private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
        /** Stands for "some other thread" when asking whether the segment is confined to the caller. */
        private static final Thread ELSEWHERE = Thread.ofPlatform().unstarted(() -> {});

        @Override
        public boolean anyThread() {
            return b.isAccessibleBy(ELSEWHERE);
        }

        @Override
        public void pack(int p0, int kc, int j0, int nr, float[] dst, int d) {
            if (trans) {
                packTransposed(this, p0, kc, j0, nr, dst, d);
            } else {
                for (int p = 0; p < kc; p++) {
                    long src = off + (p0 + p) * ld + j0;
                    int o = d + p * NR, j = 0;
                    if (bf16) {
                        for (; j + L <= nr; j += L) widen(src + j).intoArray(dst, o + j);
                        for (; j < nr; j++) dst[o + j] = bf16At(src + j);
                    } else {
                        for (; j + L <= nr; j += L)
                            FloatVector.fromMemorySegment(S, b, (src + j) * 4, ByteOrder.LITTLE_ENDIAN).intoArray(dst, o + j);
                        for (; j < nr; j++) dst[o + j] = f32At(src + j);
                    }
                    for (j = nr; j < NR; j++) dst[o + j] = 0f;
                }
            }
        }

        @Override
        public void loadRow16(int p, int j, float[] tile, int t) {
            long i = off + j * ld + p;
            (bf16 ? widen(i) : FloatVector.fromMemorySegment(Transpose.S, b, i * 4, ByteOrder.LITTLE_ENDIAN)).intoArray(tile, t);
        }

        @Override
        public void packScalar(int p0, int pFrom, int pTo, int j0, int jFrom, int jTo, float[] dst, int d) {
            for (int j = jFrom; j < jTo; j++) {
                long src = trans ? off + (j0 + j) * ld + p0 : off + p0 * ld + j0 + j, step = trans ? 1 : ld;
                if (bf16) for (int p = pFrom; p < pTo; p++) dst[d + p * NR + j] = bf16At(src + p * step);
                else for (int p = pFrom; p < pTo; p++) dst[d + p * NR + j] = f32At(src + p * step);
            }
        }

        /** L elements from element i (of a row), widened to F32. */
        FloatVector vector(long i) {
            return bf16 ? widen(i) : FloatVector.fromMemorySegment(S, b, i * 4, ByteOrder.LITTLE_ENDIAN);
        }

        /** Element i as F32. */
        float at(long i) {
            return bf16 ? bf16At(i) : f32At(i);
        }

        private float f32At(long i) {
            return b.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        }

        private float bf16At(long i) {
            return Float.intBitsToFloat((b.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xffff) << 16);
        }

        /** L BF16 values from element i, widened: the bits become the high half of an F32. */
        private FloatVector widen(long i) {
            ShortVector s = ShortVector.fromMemorySegment(SHORTS, b, i * 2, ByteOrder.LITTLE_ENDIAN);
            IntVector w = (IntVector) s.convertShape(VectorOperators.S2I, INTS, 0);
            return w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        }
    }

    /**
     * A sliver of a transposed B (stored rows j, contiguous along p): 16×16 blocks loaded row by
     * row and transposed in registers where the vectors have 16 lanes, the ragged edges one
     * element at a time.
     */
    private static void packTransposed(BSource b, int p0, int kc, int j0, int nr, float[] dst, int d) {
        int jFull = 0, pFull = 0;
        if (Transpose.AVAILABLE) {
            jFull = nr / 16 * 16;
            pFull = kc / 16 * 16;
            float[] tile = new float[256];
            for (int jb = 0; jb < jFull; jb += 16)
                for (int p = 0; p < pFull; p += 16) {
                    for (int j = 0; j < 16; j++) b.loadRow16(p0 + p, j0 + jb + j, tile, j * 16);
                    Transpose.transpose16(tile, dst, d + p * NR + jb, NR);
                }
        }
        b.packScalar(p0, pFull, kc, j0, 0, jFull, dst, d);
        b.packScalar(p0, 0, kc, j0, jFull, nr, dst, d);
        zeroColumns(kc, nr, dst, d);
    }

    private static void zeroColumns(int kc, int nr, float[] dst, int d) {
        if (nr == NR) return;
        for (int p = 0; p < kc; p++)
            for (int j = nr; j < NR; j++) dst[d + p * NR + j] = 0f;
    }
}
