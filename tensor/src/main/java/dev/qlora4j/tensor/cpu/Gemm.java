package dev.qlora4j.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** PLACEHOLDER naive GEMM with the final signatures; replaced by the packed kernel. */
public final class Gemm {
    private Gemm() {}

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++)
                    s += a[aOff + (transA ? p * lda + i : i * lda + p)] * b[bOff + (transB ? j * ldb + p : p * ldb + j)];
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0 ? alpha * s : alpha * s + beta * c[ci];
            }
    }

    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, MemorySegment b, long bOff, long ldb, boolean bf16,
                            float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    long bi = bOff + (transB ? j * ldb + p : p * ldb + j);
                    float bv = bf16 ? Float.intBitsToFloat((b.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, bi) & 0xffff) << 16)
                            : b.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, bi);
                    s += a[aOff + (transA ? p * lda + i : i * lda + p)] * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0 ? alpha * s : alpha * s + beta * c[ci];
            }
    }

    public static void sgemmBatched(int batch, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    float[] a, int aOff, int lda, long strideA, float[] b, int bOff, int ldb, long strideB,
                                    float beta, float[] c, int cOff, int ldc, long strideC) {
        for (int i = 0; i < batch; i++)
            sgemm(transA, transB, m, n, k, alpha, a, (int) (aOff + i * strideA), lda, b, (int) (bOff + i * strideB), ldb,
                    beta, c, (int) (cOff + i * strideC), ldc);
    }
}
