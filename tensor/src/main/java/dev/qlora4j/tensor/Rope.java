package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.cpu.VectorMath;

/**
 * Rotary position embedding in the Hugging Face "rotate half" layout: the first and second halves
 * of each head vector form the (real, imaginary) pairs, so
 * {@code y = x·cos + rotate_half(x)·sin} with {@code rotate_half(x) = [−x₂, x₁]}.
 */
public final class Rope {
    private Rope() {}

    /** cos and sin of position·inv_freq[i], [maxPositions, D/2] each, times an attention scaling factor. */
    public record Table(float[] cos, float[] sin, int half, int maxPositions) {
        /**
         * Builds the table as transformers does: the angle is the fp32 product position·inv_freq,
         * its cosine and sine are taken in fp32 and multiplied by {@code scaling}.
         */
        public static Table create(float[] invFreq, int maxPositions, float scaling) {
            int half = invFreq.length;
            float[] cos = new float[maxPositions * half], sin = new float[maxPositions * half];
            for (int p = 0; p < maxPositions; p++)
                for (int i = 0; i < half; i++) {
                    float angle = (float) p * invFreq[i];
                    cos[p * half + i] = (float) Math.cos(angle) * scaling;
                    sin[p * half + i] = (float) Math.sin(angle) * scaling;
                }
            return new Table(cos, sin, half, maxPositions);
        }

        /** inv_freq[i] = 1 / theta^(2i/D), computed in fp32 like the reference. */
        public static float[] defaultInvFreq(int headDim, double theta) {
            float[] f = new float[headDim / 2];
            for (int i = 0; i < f.length; i++) f[i] = (float) (1.0 / Math.pow(theta, (float) (2 * i) / headDim));
            return f;
        }
    }

    // x [B, H, T, D], positions [T] or [B, T] (integer) → [B, H, T, D]
    public static Tensor apply(Tensor x, Table table, Tensor positions) {
        if (x.rank() != 4) throw new IllegalArgumentException("rope input must be [B, H, T, D]: " + Shapes.str(x.shape));
        int b = x.shape[0], h = x.shape[1], t = x.shape[2], d = x.shape[3], half = table.half();
        if (d != 2 * half) throw new IllegalArgumentException("rope table for head dim " + 2 * half + ", input has " + d);
        int[] pos = positions.toIntArray();
        boolean perBatch = positions.rank() == 2;
        if (perBatch ? positions.shape[0] != b || positions.shape[1] != t : pos.length != t)
            throw new IllegalArgumentException("positions " + Shapes.str(positions.shape) + " for input " + Shapes.str(x.shape));
        for (int p : pos)
            if (p < 0 || p >= table.maxPositions())
                throw new IllegalArgumentException("position " + p + " outside the rope table of " + table.maxPositions());
        Tensor xd = rowsContiguous(x);
        // y (and dx) in x's layout: for the transposed [B, T, H, D] projections that avoids a copy
        // here and makes the transposes' backward free
        Tensor y = Views.zerosLike(x);
        rotate(xd, y, table, pos, perBatch, false);
        return Autograd.record(y, "rope", (g, needs) -> {
            Tensor dx = Views.zerosLike(x);
            rotate(rowsContiguous(g), dx, table, pos, perBatch, true);
            return new Tensor[]{dx, null};
        }, x, positions);
    }

    /** t itself when it is F32 in a float[] with contiguous head vectors, otherwise a dense copy. */
    private static Tensor rowsContiguous(Tensor t) {
        Tensor f = Arith.floatStorage(t);
        return f.shape[3] <= 1 || f.strides[3] == 1 ? f : f.contiguous();
    }

    /** Rotates every head vector of in [B, H, T, D] into out by its position's angle (or minus it: the backward). */
    private static void rotate(Tensor in, Tensor out, Table tb, int[] pos, boolean perBatch, boolean inverse) {
        int h = in.shape[1], t = in.shape[2], half = tb.half(), d = 2 * half;
        float[] ia = Arith.heap(in), oa = Arith.heap(out);
        int ib = Arith.base(in), ob = Arith.base(out);
        float sign = inverse ? -1f : 1f;
        Parallel.range(in.shape[0] * h, Math.max(1, 2048 / Math.max(1, t * d)), (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int bi = bh / h, hi = bh % h;
                long io = ib + bi * in.strides[0] + hi * in.strides[1], oo = ob + bi * out.strides[0] + hi * out.strides[1];
                for (int ti = 0; ti < t; ti++) {
                    int p = pos[perBatch ? bi * t + ti : ti];
                    VectorMath.rotateHalf(ia, (int) (io + ti * in.strides[2]), oa, (int) (oo + ti * out.strides[2]),
                            tb.cos(), tb.sin(), p * half, half, sign);
                }
            }
        });
    }
}
