package dev.qlora4j.tensor.quant;

/**
 * {@code Tensor.mean()} of a contiguous float32 vector as PyTorch computes it on the CPU, to the
 * last bit: the sum of ATen's reduction kernel (vectors of 8 floats, each lane summed in a
 * cascade, 4 vectors at a time for instruction-level parallelism, then the scalar tail and the 8
 * lanes added in order), divided once by the count in float32. Double quantization subtracts
 * this mean from every absmax before quantizing them, and the offset is written into the
 * checkpoint, so an ordinary (pairwise or compensated) sum would give a different file.
 *
 * <p>Above torch's grain size (32768 values) a multi-threaded torch splits the sum between its
 * threads, so the last bit may then depend on torch's thread count; this is the one-thread order.
 */
public final class TorchMean {
    private TorchMean() {}

    private static final int LANES = 8, ILP = 4, LEVELS = 4;

    public static float mean(float[] x) {
        return sum(x) / x.length;
    }

    /** The float32 sum in ATen's order (cascade_sum → vectorized_inner_sum → row_sum → multi_row_sum). */
    static float sum(float[] x) {
        int n = x.length, vectors = n / LANES;
        // row_sum over the vectors: rows of ILP vectors through the cascade, leftover vectors into stream 0
        int rows = vectors / ILP;
        float[][] partial = multiRowSum(x, rows);
        for (int v = rows * ILP; v < vectors; v++)
            for (int l = 0; l < LANES; l++) partial[0][l] += x[v * LANES + l];
        for (int k = 1; k < ILP; k++)
            for (int l = 0; l < LANES; l++) partial[0][l] += partial[k][l];
        float total = 0f;
        for (int i = vectors * LANES; i < n; i++) total += x[i];
        for (int l = 0; l < LANES; l++) total += partial[0][l];
        return total;
    }

    /**
     * ATen's multi_row_sum with ILP streams of LANES-wide vectors: row i holds vectors i·ILP ..
     * i·ILP+ILP-1. Level 0 accumulates levelStep rows, then carries into level 1 and so on, so
     * only sums of similar size are added.
     */
    private static float[][] multiRowSum(float[] x, int size) {
        int levelPower = Math.max(4, ceilLog2(size) / LEVELS);
        int levelStep = 1 << levelPower, levelMask = levelStep - 1;
        float[][][] acc = new float[LEVELS][ILP][LANES];
        int i = 0;
        while (i + levelStep <= size) {
            for (int j = 0; j < levelStep; j++, i++) addRow(acc[0], x, i);
            for (int j = 1; j < LEVELS; j++) {
                for (int k = 0; k < ILP; k++)
                    for (int l = 0; l < LANES; l++) {
                        acc[j][k][l] += acc[j - 1][k][l];
                        acc[j - 1][k][l] = 0f;
                    }
                if ((i & (levelMask << (j * levelPower))) != 0) break;
            }
        }
        for (; i < size; i++) addRow(acc[0], x, i);
        for (int j = 1; j < LEVELS; j++)
            for (int k = 0; k < ILP; k++)
                for (int l = 0; l < LANES; l++) acc[0][k][l] += acc[j][k][l];
        return acc[0];
    }

    private static void addRow(float[][] acc, float[] x, int row) {
        for (int k = 0; k < ILP; k++) {
            int base = (row * ILP + k) * LANES;
            for (int l = 0; l < LANES; l++) acc[k][l] += x[base + l];
        }
    }

    /** ceil(log2(x)), and 1 for x ≤ 2 (ATen's utils::CeilLog2). */
    static int ceilLog2(long x) {
        if (x <= 2) return 1;
        return 64 - Long.numberOfLeadingZeros(x - 1);
    }
}
