package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.cpu.VectorMath;

/**
 * Cross-entropy of logits against integer targets, as torch.nn.functional.cross_entropy computes
 * it: targets equal to {@link #IGNORE_INDEX} contribute nothing; MEAN divides by the number of
 * targets that are not ignored (NaN when there are none), SUM does not divide.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    public static final int IGNORE_INDEX = -100;

    public enum Reduction { MEAN, SUM }

    // logits [.., V], targets [..] (integer) → scalar
    public static Tensor apply(Tensor logits, Tensor targets, Reduction reduction) {
        int v = logits.size(-1);
        int n = v == 0 ? 0 : Math.toIntExact(logits.numel() / v);
        if (targets.numel() != n)
            throw new IllegalArgumentException("targets " + Shapes.str(targets.shape) + " for logits " + Shapes.str(logits.shape));
        if (targets.dtype.isFloatingPoint()) throw new IllegalArgumentException("targets must be an integer tensor, not " + targets.dtype);
        int[] tgt = targets.toIntArray();
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (tgt[i] == IGNORE_INDEX) continue;
            if (tgt[i] < 0 || tgt[i] >= v)
                throw new IllegalArgumentException("target " + tgt[i] + " at position " + i + " outside [0, " + v + ")");
            count++;
        }
        Tensor xd = Arith.floatStorage(logits).contiguous();
        float[] xa = xd.array();
        int xo = xd.arrayOffset();
        float[] max = new float[n], logSum = new float[n];
        double[] rowLoss = new double[n];
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
            float[] scratch = new float[v];
            for (int r = from; r < to; r++) {
                if (tgt[r] == IGNORE_INDEX) continue;
                max[r] = VectorMath.max(xa, xo + r * v, v);
                logSum[r] = Softmax.logSumShifted(xa, xo + r * v, max[r], scratch, 0, v);
                rowLoss[r] = logSum[r] - ((double) xa[xo + r * v + tgt[r]] - max[r]);
            }
        });
        double total = 0;
        for (double l : rowLoss) total += l;
        float divisor = reduction == Reduction.MEAN ? count : 1f;
        Tensor out = Tensor.scalar((float) (total / divisor));
        int[] shape = logits.shape;
        return Autograd.record(out, "cross_entropy", (g, needs) -> {
            // d/dx_j = (softmax_j − [j = target]) · g / divisor
            float scale = g.item() / divisor;
            Tensor dx = Tensor.zeros(shape);
            float[] da = dx.array();
            Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    if (tgt[r] == IGNORE_INDEX) continue;
                    int row = r * v;
                    VectorMath.expShifted(xa, xo + row, max[r], da, row, v);
                    VectorMath.scale(da, row, (float) Math.exp(-logSum[r]) * scale, v);
                    da[row + tgt[r]] -= scale;
                }
            });
            return new Tensor[]{dx, null};
        }, logits, targets);
    }
}
