package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.cpu.VectorMath;

/** Softmax and log-softmax over one dimension (rows of the last dimension; others via transposes). */
final class Softmax {
    private Softmax() {}

    // x [.., n] → softmax over dim
    static Tensor softmax(Tensor x, int dim) {
        int d = Shapes.dim(dim, x.rank());
        if (d != x.rank() - 1) return softmax(x.transpose(d, -1), -1).transpose(d, -1);
        Tensor xd = Arith.floatStorage(x).contiguous();
        int n = x.size(-1), rows = rows(x, n);
        Tensor y = Tensor.zeros(x.shape);
        float[] xa = xd.array(), ya = y.array();
        int xo = xd.arrayOffset();
        Parallel.range(rows, grain(n), (from, to) -> {
            for (int r = from; r < to; r++) softmaxRow(xa, xo + r * n, ya, r * n, n);
        });
        return Autograd.record(y, "softmax", (g, needs) -> {
            // dx = y ⊙ (g − Σ g⊙y)
            Tensor gd = Arith.floatStorage(g).contiguous();
            Tensor dx = Tensor.zeros(y.shape);
            float[] ga = gd.array(), da = dx.array();
            int go = gd.arrayOffset();
            Parallel.range(rows, grain(n), (from, to) -> {
                for (int r = from; r < to; r++) {
                    float dot = VectorMath.dot(ga, go + r * n, ya, r * n, n);
                    VectorMath.affine(ga, go + r * n, 1f, -dot, da, r * n, n);
                    VectorMath.binary(VectorMath.BinOp.MUL, da, r * n, 1, ya, r * n, 1, da, r * n, n);
                }
            });
            return new Tensor[]{dx};
        }, x);
    }

    // x [.., n] → log-softmax over dim
    static Tensor logSoftmax(Tensor x, int dim) {
        int d = Shapes.dim(dim, x.rank());
        if (d != x.rank() - 1) return logSoftmax(x.transpose(d, -1), -1).transpose(d, -1);
        Tensor xd = Arith.floatStorage(x).contiguous();
        int n = x.size(-1), rows = rows(x, n);
        Tensor y = Tensor.zeros(x.shape);
        float[] xa = xd.array(), ya = y.array();
        int xo = xd.arrayOffset();
        Parallel.range(rows, grain(n), (from, to) -> {
            for (int r = from; r < to; r++) {
                // (x − max) − log Σ exp(x − max): subtracting max first keeps the small result exact
                float max = VectorMath.max(xa, xo + r * n, n);
                float logSum = logSumShifted(xa, xo + r * n, max, ya, r * n, n);
                VectorMath.affine(xa, xo + r * n, 1f, -max, ya, r * n, n);
                if (logSum != 0f) VectorMath.affine(ya, r * n, 1f, -logSum, ya, r * n, n);
            }
        });
        return Autograd.record(y, "log_softmax", (g, needs) -> {
            // dx = g − softmax ⊙ Σ g
            Tensor gd = Arith.floatStorage(g).contiguous();
            Tensor dx = Tensor.zeros(y.shape);
            float[] ga = gd.array(), da = dx.array();
            int go = gd.arrayOffset();
            Parallel.range(rows, grain(n), (from, to) -> {
                for (int r = from; r < to; r++) {
                    float gs = VectorMath.sum(ga, go + r * n, n);
                    VectorMath.logSoftmaxBackward(ga, go + r * n, ya, r * n, gs, da, r * n, n);
                }
            });
            return new Tensor[]{dx};
        }, x);
    }

    /** y = softmax(x) for one row; a row of −∞ only gives zeros. */
    static void softmaxRow(float[] x, int xo, float[] y, int yo, int n) {
        float max = VectorMath.max(x, xo, n);
        if (max == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(y, yo, yo + n, 0f);
            return;
        }
        float sum = VectorMath.expShifted(x, xo, max, y, yo, n);
        VectorMath.scale(y, yo, 1f / sum, n);
    }

    /**
     * log Σ exp(x − max) of one row (so log Σ exp(x) = max + the result), using scratch (length ≥ n)
     * for the exponentials. Zero for a row whose max is infinite.
     */
    static float logSumShifted(float[] x, int xo, float max, float[] scratch, int so, int n) {
        if (Float.isInfinite(max)) return 0f;
        return (float) Math.log(VectorMath.expShifted(x, xo, max, scratch, so, n));
    }

    private static int rows(Tensor x, int n) {
        return n == 0 ? 0 : Math.toIntExact(x.numel() / n);
    }

    private static int grain(int n) {
        return Math.max(1, (1 << 14) / Math.max(1, n));
    }
}
