package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.cpu.VectorMath;

/** Softmax and log-softmax over one dimension (rows of the last dimension; others via transposes). */
final class Softmax {
    private Softmax() {}

    /** One row's forward (x → y) or backward (g, y → dx); offsets are those of the row. */
    private interface RowKernel {
        void run(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);
    }

    // x [.., n] → softmax over dim;  backward: dx = y ⊙ (g − Σ g⊙y)
    static Tensor softmax(Tensor x, int dim) {
        return rowwise(x, dim, "softmax",
                (xa, xo, unused, uo, y, yo, n) -> softmaxRow(xa, xo, y, yo, n),
                (g, go, y, yo, dx, dxo, n) -> {
                    float dot = VectorMath.dot(g, go, y, yo, n);
                    VectorMath.affine(g, go, 1f, -dot, dx, dxo, n);
                    VectorMath.binary(VectorMath.BinOp.MUL, dx, dxo, 1, y, yo, 1, dx, dxo, n);
                });
    }

    // x [.., n] → log-softmax over dim;  backward: dx = g − softmax ⊙ Σ g
    static Tensor logSoftmax(Tensor x, int dim) {
        return rowwise(x, dim, "log_softmax",
                (xa, xo, unused, uo, y, yo, n) -> {
                    // (x − max) − log Σ exp(x − max): subtracting max first keeps the small result exact
                    float max = VectorMath.max(xa, xo, n);
                    float logSum = logSumShifted(xa, xo, max, y, yo, n);
                    VectorMath.affine(xa, xo, 1f, -max, y, yo, n);
                    if (logSum != 0f) VectorMath.affine(y, yo, 1f, -logSum, y, yo, n);
                },
                (g, go, y, yo, dx, dxo, n) ->
                        VectorMath.logSoftmaxBackward(g, go, y, yo, VectorMath.sum(g, go, n), dx, dxo, n));
    }

    /** Runs a row kernel over the rows of the last dimension (other dims via transposes), with its backward. */
    private static Tensor rowwise(Tensor x, int dim, String name, RowKernel forward, RowKernel backward) {
        int d = Shapes.dim(dim, x.rank());
        if (d != x.rank() - 1) return rowwise(x.transpose(d, -1), -1, name, forward, backward).transpose(d, -1);
        Tensor xd = Arith.floatStorage(x).contiguous();
        int n = x.size(-1), rows = n == 0 ? 0 : Math.toIntExact(x.numel() / n);
        int grain = Math.max(1, (1 << 14) / Math.max(1, n));
        Tensor y = Tensor.zeros(x.shape);
        float[] xa = xd.array(), ya = y.array();
        int xo = xd.arrayOffset();
        Parallel.range(rows, grain, (from, to) -> {
            for (int r = from; r < to; r++) forward.run(xa, xo + r * n, null, 0, ya, r * n, n);
        });
        return Autograd.record(y, name, (g, needs) -> {
            Tensor gd = Arith.floatStorage(g).contiguous();
            Tensor dx = Tensor.zeros(y.shape);
            float[] ga = gd.array(), da = dx.array();
            int go = gd.arrayOffset();
            Parallel.range(rows, grain, (from, to) -> {
                for (int r = from; r < to; r++) backward.run(ga, go + r * n, ya, r * n, da, r * n, n);
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
}
