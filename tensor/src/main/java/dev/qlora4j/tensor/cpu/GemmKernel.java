package dev.qlora4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked micro-kernels of {@link Gemm}: an MR×NR tile of C held in FloatVector
 * accumulators (NR = two vectors), fed per step p by MR broadcast values of a packed A sliver and
 * two vectors of a packed B sliver. Twelve rows need 24 accumulators + 3 temporaries, which fits
 * the 32 registers of AVX-512; with 16 registers (AVX2, NEON) six rows are used instead.
 *
 * <p>The bodies are written out, stores included: every accumulator must stay a local of one
 * method, because a vector passed to a call the JIT does not inline is boxed on the heap (a store
 * helper of 90 bytecodes was enough to make the kernel 15 times slower).
 */
final class GemmKernel {
    private GemmKernel() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows of the micro-tile: 12 where the ISA has 32 vector registers (512-bit), else 6. */
    static final int MR = L >= 16 ? 12 : 6;
    static final int NR = 2 * L;

    /** C[MR, NR] tile at co = α·Σ_p A_p·B_p + β·C (β = 0: C is overwritten, never read). */
    static void tile(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, float beta) {
        if (MR == 12) kernel12(kc, ap, ao, bp, bo, c, co, ldc, alpha, beta);
        else kernel6(kc, ap, ao, bp, bo, c, co, ldc, alpha, beta);
    }

    /** The 6-row kernel: C[6, 2·L] = α·Σ_p A[:, p]·B[p, :] + β·C. */
    static void kernel6(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 6, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        if (beta == 0f) {
            c00.mul(va).intoArray(c, co); c01.mul(va).intoArray(c, co + L);
            c10.mul(va).intoArray(c, co + ldc); c11.mul(va).intoArray(c, co + ldc + L);
            c20.mul(va).intoArray(c, co + 2 * ldc); c21.mul(va).intoArray(c, co + 2 * ldc + L);
            c30.mul(va).intoArray(c, co + 3 * ldc); c31.mul(va).intoArray(c, co + 3 * ldc + L);
            c40.mul(va).intoArray(c, co + 4 * ldc); c41.mul(va).intoArray(c, co + 4 * ldc + L);
            c50.mul(va).intoArray(c, co + 5 * ldc); c51.mul(va).intoArray(c, co + 5 * ldc + L);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            c00.fma(va, FloatVector.fromArray(S, c, co).mul(vb)).intoArray(c, co);
            c01.fma(va, FloatVector.fromArray(S, c, co + L).mul(vb)).intoArray(c, co + L);
            c10.fma(va, FloatVector.fromArray(S, c, co + ldc).mul(vb)).intoArray(c, co + ldc);
            c11.fma(va, FloatVector.fromArray(S, c, co + ldc + L).mul(vb)).intoArray(c, co + ldc + L);
            c20.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc).mul(vb)).intoArray(c, co + 2 * ldc);
            c21.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc + L).mul(vb)).intoArray(c, co + 2 * ldc + L);
            c30.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc).mul(vb)).intoArray(c, co + 3 * ldc);
            c31.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc + L).mul(vb)).intoArray(c, co + 3 * ldc + L);
            c40.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc).mul(vb)).intoArray(c, co + 4 * ldc);
            c41.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc + L).mul(vb)).intoArray(c, co + 4 * ldc + L);
            c50.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc).mul(vb)).intoArray(c, co + 5 * ldc);
            c51.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc + L).mul(vb)).intoArray(c, co + 5 * ldc + L);
        }
    }


    /** The 12-row kernel: C[12, 2·L] = α·Σ_p A[:, p]·B[p, :] + β·C. */
    static void kernel12(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float alpha, float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S), c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S), c91 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 12, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = a8.fma(b0, c80); c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = a9.fma(b0, c90); c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a10.fma(b0, c100); c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a11.fma(b0, c110); c111 = a11.fma(b1, c111);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        if (beta == 0f) {
            c00.mul(va).intoArray(c, co); c01.mul(va).intoArray(c, co + L);
            c10.mul(va).intoArray(c, co + ldc); c11.mul(va).intoArray(c, co + ldc + L);
            c20.mul(va).intoArray(c, co + 2 * ldc); c21.mul(va).intoArray(c, co + 2 * ldc + L);
            c30.mul(va).intoArray(c, co + 3 * ldc); c31.mul(va).intoArray(c, co + 3 * ldc + L);
            c40.mul(va).intoArray(c, co + 4 * ldc); c41.mul(va).intoArray(c, co + 4 * ldc + L);
            c50.mul(va).intoArray(c, co + 5 * ldc); c51.mul(va).intoArray(c, co + 5 * ldc + L);
            c60.mul(va).intoArray(c, co + 6 * ldc); c61.mul(va).intoArray(c, co + 6 * ldc + L);
            c70.mul(va).intoArray(c, co + 7 * ldc); c71.mul(va).intoArray(c, co + 7 * ldc + L);
            c80.mul(va).intoArray(c, co + 8 * ldc); c81.mul(va).intoArray(c, co + 8 * ldc + L);
            c90.mul(va).intoArray(c, co + 9 * ldc); c91.mul(va).intoArray(c, co + 9 * ldc + L);
            c100.mul(va).intoArray(c, co + 10 * ldc); c101.mul(va).intoArray(c, co + 10 * ldc + L);
            c110.mul(va).intoArray(c, co + 11 * ldc); c111.mul(va).intoArray(c, co + 11 * ldc + L);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            c00.fma(va, FloatVector.fromArray(S, c, co).mul(vb)).intoArray(c, co);
            c01.fma(va, FloatVector.fromArray(S, c, co + L).mul(vb)).intoArray(c, co + L);
            c10.fma(va, FloatVector.fromArray(S, c, co + ldc).mul(vb)).intoArray(c, co + ldc);
            c11.fma(va, FloatVector.fromArray(S, c, co + ldc + L).mul(vb)).intoArray(c, co + ldc + L);
            c20.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc).mul(vb)).intoArray(c, co + 2 * ldc);
            c21.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc + L).mul(vb)).intoArray(c, co + 2 * ldc + L);
            c30.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc).mul(vb)).intoArray(c, co + 3 * ldc);
            c31.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc + L).mul(vb)).intoArray(c, co + 3 * ldc + L);
            c40.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc).mul(vb)).intoArray(c, co + 4 * ldc);
            c41.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc + L).mul(vb)).intoArray(c, co + 4 * ldc + L);
            c50.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc).mul(vb)).intoArray(c, co + 5 * ldc);
            c51.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc + L).mul(vb)).intoArray(c, co + 5 * ldc + L);
            c60.fma(va, FloatVector.fromArray(S, c, co + 6 * ldc).mul(vb)).intoArray(c, co + 6 * ldc);
            c61.fma(va, FloatVector.fromArray(S, c, co + 6 * ldc + L).mul(vb)).intoArray(c, co + 6 * ldc + L);
            c70.fma(va, FloatVector.fromArray(S, c, co + 7 * ldc).mul(vb)).intoArray(c, co + 7 * ldc);
            c71.fma(va, FloatVector.fromArray(S, c, co + 7 * ldc + L).mul(vb)).intoArray(c, co + 7 * ldc + L);
            c80.fma(va, FloatVector.fromArray(S, c, co + 8 * ldc).mul(vb)).intoArray(c, co + 8 * ldc);
            c81.fma(va, FloatVector.fromArray(S, c, co + 8 * ldc + L).mul(vb)).intoArray(c, co + 8 * ldc + L);
            c90.fma(va, FloatVector.fromArray(S, c, co + 9 * ldc).mul(vb)).intoArray(c, co + 9 * ldc);
            c91.fma(va, FloatVector.fromArray(S, c, co + 9 * ldc + L).mul(vb)).intoArray(c, co + 9 * ldc + L);
            c100.fma(va, FloatVector.fromArray(S, c, co + 10 * ldc).mul(vb)).intoArray(c, co + 10 * ldc);
            c101.fma(va, FloatVector.fromArray(S, c, co + 10 * ldc + L).mul(vb)).intoArray(c, co + 10 * ldc + L);
            c110.fma(va, FloatVector.fromArray(S, c, co + 11 * ldc).mul(vb)).intoArray(c, co + 11 * ldc);
            c111.fma(va, FloatVector.fromArray(S, c, co + 11 * ldc + L).mul(vb)).intoArray(c, co + 11 * ldc + L);
        }
    }

}
