package dev.qlora4j.tensor.cpu;

import dev.qlora4j.tensor.quant.Nf4Weight;

/**
 * Products with an NF4 weight W [rows, cols] as the B operand, on {@link Gemm}'s packed kernels:
 * the weight is dequantized panel by panel into the packing buffer (bit for bit the values
 * {@code dequantize_4bit} gives), so the result equals an F32 GEMM with the dequantized matrix.
 */
public final class Nf4Gemm {
    private Nf4Gemm() {}

    /**
     * C[m, n] (at cOff, row stride ldc) = α·A[m, k]·op(W) + β·C, A row-major (lda); op(W) = Wᵀ
     * (transW: n = rows, k = cols) or W (n = cols, k = rows).
     */
    public static void gemm(boolean transW, int m, int n, int k, float alpha, float[] a, int aOff, int lda, Nf4Weight w,
                            float beta, float[] c, int cOff, int ldc) {
        int wn = transW ? w.rows() : w.cols(), wk = transW ? w.cols() : w.rows();
        if (n != wn || k != wk)
            throw new IllegalArgumentException("NF4 weight [" + w.rows() + ", " + w.cols() + "] as " + (transW ? "Wᵀ" : "W")
                    + " is not " + k + "×" + n);
        Gemm.run(m, n, k, alpha, a, aOff, lda, false, new Nf4B(w, transW), beta, c, cOff, ldc);
    }
}
