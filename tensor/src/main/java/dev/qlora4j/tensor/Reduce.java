package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.cpu.VectorMath;

import java.util.Arrays;

/**
 * Sum, mean and max over dimensions. The reduced dimensions are moved to the end and the result
 * is computed row by row over a dense copy.
 */
final class Reduce {
    private Reduce() {}

    // x [..] → Σ over dims (kept as size 1 with keepDim)
    static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        return sumScaled(x, dims, keepDim, false);
    }

    static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        return sumScaled(x, dims, keepDim, true);
    }

    private static Tensor sumScaled(Tensor x, int[] dims, boolean keepDim, boolean mean) {
        boolean[] reduced = reducedMask(dims, x.rank());
        Tensor rows = rowsLast(x, reduced);
        int[] keptShape = keptShape(x.shape, reduced);
        int inner = innerSize(x.shape, reduced);
        int outer = Math.toIntExact(Shapes.numel(keptShape));
        float scale = mean ? 1f / inner : 1f;
        Tensor out = Tensor.zeros(keepDim ? keptShape : dropReduced(x.shape, reduced));
        float[] ra = rows.array(), oa = out.array();
        int ro = rows.arrayOffset();
        Parallel.range(outer, Math.max(1, (1 << 15) / Math.max(1, inner)), (from, to) -> {
            for (int r = from; r < to; r++) oa[r] = VectorMath.sum(ra, ro + r * inner, inner) * scale;
        });
        int[] inShape = x.shape;
        return Autograd.record(out, mean ? "mean" : "sum", (g, needs) -> {
            Tensor gk = g.reshape(keptShape);
            Tensor ge = Views.expandNoGrad(gk, inShape);
            return new Tensor[]{mean ? Arith.affine(ge, scale, 0f) : ge};
        }, x);
    }

    // x [.., n, ..] → max over dim; the gradient flows to the first maximal element
    static Tensor max(Tensor x, int dim, boolean keepDim) {
        int d = Shapes.dim(dim, x.rank());
        Tensor idx = argmax(x, d, true);
        Tensor out;
        try (var ignored = Autograd.noGrad()) {
            out = gather(x, d, idx);
        }
        int[] inShape = x.shape;
        Tensor kept = out;
        Tensor result = Autograd.record(out, "max", (g, needs) -> {
            Tensor gx = Tensor.zeros(inShape);
            scatterAdd(gx, d, idx, g.reshape(kept.shape));
            return new Tensor[]{gx};
        }, x);
        return keepDim ? result : result.squeeze(d);
    }

    // x [.., n, ..] → I64 index of the first maximum over dim (size 1 with keepDim)
    static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        int d = Shapes.dim(dim, x.rank());
        boolean[] reduced = new boolean[x.rank()];
        reduced[d] = true;
        Tensor rows = rowsLast(x, reduced);
        int n = x.shape[d];
        int[] kept = keptShape(x.shape, reduced);
        int outer = Math.toIntExact(Shapes.numel(kept));
        Tensor out = Tensor.zeros(DType.I64, keepDim ? kept : dropReduced(x.shape, reduced));
        float[] ra = rows.array();
        int ro = rows.arrayOffset();
        for (int r = 0; r < outer; r++) {
            int best = 0;
            float bv = ra[ro + r * n];
            for (int i = 1; i < n; i++) {
                float v = ra[ro + r * n + i];
                if (v > bv || Float.isNaN(v) && !Float.isNaN(bv)) {
                    bv = v;
                    best = i;
                }
            }
            out.writeLong(r, best);
        }
        return out;
    }

    /** Sums g over the dimensions along which {@code shape} was broadcast to g's shape. */
    static Tensor sumToShape(Tensor g, int[] shape) {
        if (Arrays.equals(g.shape, shape)) return g;
        int lead = g.rank() - shape.length;
        int count = 0;
        int[] dims = new int[g.rank()];
        for (int i = 0; i < g.rank(); i++)
            if (i < lead || shape[i - lead] == 1 && g.shape[i] != 1) dims[count++] = i;
        Tensor s = sum(g, Arrays.copyOf(dims, count), true);
        return s.reshape(shape);
    }

    /** Picks x[.., idx[..], ..] along dim (idx has size 1 at dim). */
    private static Tensor gather(Tensor x, int dim, Tensor idx) {
        Tensor out = Tensor.zeros(idx.shape);
        int[] pos = new int[x.rank()];
        long n = idx.numel();
        for (long i = 0; i < n; i++) {
            unravel(i, idx.shape, pos);
            pos[dim] = (int) idx.readLong(i);
            out.writeFloat(i, x.readFloat(x.storageIndex(pos)));
        }
        return out;
    }

    private static void scatterAdd(Tensor target, int dim, Tensor idx, Tensor values) {
        int[] pos = new int[target.rank()];
        long n = idx.numel();
        for (long i = 0; i < n; i++) {
            unravel(i, idx.shape, pos);
            float v = values.get(pos);
            pos[dim] = (int) idx.readLong(i);
            long p = target.storageIndex(pos);
            target.writeFloat(p, target.readFloat(p) + v);
        }
    }

    static void unravel(long flat, int[] shape, int[] pos) {
        for (int d = shape.length - 1; d >= 0; d--) {
            pos[d] = (int) (flat % shape[d]);
            flat /= shape[d];
        }
    }

    /** x as a dense F32 tensor whose trailing dims are the reduced ones (each row = one output). */
    private static Tensor rowsLast(Tensor x, boolean[] reduced) {
        int[] perm = new int[x.rank()];
        int k = 0;
        for (int i = 0; i < x.rank(); i++) if (!reduced[i]) perm[k++] = i;
        for (int i = 0; i < x.rank(); i++) if (reduced[i]) perm[k++] = i;
        Tensor f = Arith.floatStorage(x);
        return (isIdentity(perm) ? f : Views.permute(f, perm)).contiguous();
    }

    private static boolean isIdentity(int[] perm) {
        for (int i = 0; i < perm.length; i++) if (perm[i] != i) return false;
        return true;
    }

    private static boolean[] reducedMask(int[] dims, int rank) {
        boolean[] r = new boolean[rank];
        for (int d : dims) r[Shapes.dim(d, rank)] = true;
        return r;
    }

    private static int[] keptShape(int[] shape, boolean[] reduced) {
        int[] s = shape.clone();
        for (int i = 0; i < s.length; i++) if (reduced[i]) s[i] = 1;
        return s;
    }

    private static int[] dropReduced(int[] shape, boolean[] reduced) {
        return Arrays.stream(range(shape.length)).filter(i -> !reduced[i]).map(i -> shape[i]).toArray();
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    private static int innerSize(int[] shape, boolean[] reduced) {
        int n = 1;
        for (int i = 0; i < shape.length; i++) if (reduced[i]) n *= shape[i];
        return n;
    }
}
