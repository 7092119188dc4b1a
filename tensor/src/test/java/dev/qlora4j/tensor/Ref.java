package dev.qlora4j.tensor;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * Naive double-precision reference arrays for the gradient checks: row-major values with a shape,
 * and the textbook definition of each operation (explicit index loops, no cleverness).
 */
record Ref(int[] shape, double[] v) {
    static Ref of(double[] v, int... shape) {
        if (Shapes.numel(shape) != v.length) throw new IllegalArgumentException("size mismatch " + Arrays.toString(shape));
        return new Ref(shape, v);
    }

    int numel() {
        return v.length;
    }

    int rank() {
        return shape.length;
    }

    int flat(int[] idx) {
        int p = 0;
        for (int i = 0; i < shape.length; i++) p = p * shape[i] + idx[i];
        return p;
    }

    double at(int... idx) {
        return v[flat(idx)];
    }

    int[] unravel(int flat) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    /** The element of this (broadcast) array seen at an index of a larger broadcast shape. */
    double broadcastAt(int[] outIdx) {
        int lead = outIdx.length - shape.length;
        int p = 0;
        for (int i = 0; i < shape.length; i++) p = p * shape[i] + (shape[i] == 1 ? 0 : outIdx[lead + i]);
        return v[p];
    }

    static Ref binary(Ref a, Ref b, DoubleBinaryOperator f) {
        int[] shape = Shapes.broadcast(a.shape, b.shape);
        Ref out = new Ref(shape, new double[(int) Shapes.numel(shape)]);
        for (int i = 0; i < out.v.length; i++) {
            int[] idx = out.unravel(i);
            out.v[i] = f.applyAsDouble(a.broadcastAt(idx), b.broadcastAt(idx));
        }
        return out;
    }

    Ref map(DoubleUnaryOperator f) {
        double[] o = new double[v.length];
        for (int i = 0; i < o.length; i++) o[i] = f.applyAsDouble(v[i]);
        return new Ref(shape, o);
    }

    Ref permute(int... dims) {
        int[] s = new int[dims.length];
        for (int i = 0; i < dims.length; i++) s[i] = shape[dims[i]];
        Ref out = new Ref(s, new double[v.length]);
        for (int i = 0; i < v.length; i++) {
            int[] oi = out.unravel(i), src = new int[dims.length];
            for (int d = 0; d < dims.length; d++) src[dims[d]] = oi[d];
            out.v[i] = at(src);
        }
        return out;
    }

    Ref transpose(int d0, int d1) {
        int[] p = new int[rank()];
        for (int i = 0; i < p.length; i++) p[i] = i;
        d0 = Shapes.dim(d0, rank());
        d1 = Shapes.dim(d1, rank());
        p[d0] = d1;
        p[d1] = d0;
        return permute(p);
    }

    Ref reshape(int... s) {
        return of(v, Shapes.infer(s, v.length));
    }

    /** Elements [start, start + len) along dim. */
    Ref narrow(int dim, int start, int len) {
        int d = Shapes.dim(dim, rank());
        int[] s = shape.clone();
        s[d] = len;
        Ref out = new Ref(s, new double[(int) Shapes.numel(s)]);
        for (int i = 0; i < out.v.length; i++) {
            int[] idx = out.unravel(i);
            idx[d] += start;
            out.v[i] = at(idx);
        }
        return out;
    }

    /** The slice at index along dim (that dim removed). */
    Ref select(int dim, int index) {
        int d = Shapes.dim(dim, rank());
        Ref n = narrow(d, index, 1);
        int[] s = new int[rank() - 1];
        for (int i = 0, j = 0; i < rank(); i++) if (i != d) s[j++] = shape[i];
        return of(n.v, s);
    }

    /** This array broadcast to a larger shape (copies). */
    Ref expand(int... s) {
        Ref out = new Ref(s, new double[(int) Shapes.numel(s)]);
        for (int i = 0; i < out.v.length; i++) out.v[i] = broadcastAt(out.unravel(i));
        return out;
    }

    /** Reduction over dims with an accumulator (start value, combine); keepDim keeps size-1 dims. */
    Ref reduce(int[] dims, boolean keepDim, double start, DoubleBinaryOperator combine) {
        boolean[] red = new boolean[rank()];
        for (int d : dims) red[Shapes.dim(d, rank())] = true;
        int[] kept = shape.clone();
        for (int i = 0; i < kept.length; i++) if (red[i]) kept[i] = 1;
        Ref out = new Ref(kept, new double[(int) Shapes.numel(kept)]);
        Arrays.fill(out.v, start);
        for (int i = 0; i < v.length; i++) {
            int[] idx = unravel(i);
            for (int d = 0; d < idx.length; d++) if (red[d]) idx[d] = 0;
            int o = out.flat(idx);
            out.v[o] = combine.applyAsDouble(out.v[o], v[i]);
        }
        if (keepDim) return out;
        return of(out.v, Arrays.stream(range(rank())).filter(i -> !red[i]).map(i -> shape[i]).toArray());
    }

    Ref sum(int[] dims, boolean keepDim) {
        return reduce(dims, keepDim, 0, Double::sum);
    }

    /** Batched matmul with broadcast batch dims (both operands at least 2-D). */
    static Ref matmul(Ref a, Ref b) {
        int m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1], n = b.shape[b.rank() - 1];
        int[] batch = Shapes.broadcast(Arrays.copyOf(a.shape, a.rank() - 2), Arrays.copyOf(b.shape, b.rank() - 2));
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Ref out = new Ref(outShape, new double[(int) Shapes.numel(outShape)]);
        for (int o = 0; o < out.v.length; o++) {
            int[] idx = out.unravel(o);
            int i = idx[idx.length - 2], j = idx[idx.length - 1];
            double s = 0;
            for (int p = 0; p < k; p++) {
                int[] ai = idx.clone(), bi = idx.clone();
                ai[ai.length - 2] = i;
                ai[ai.length - 1] = p;
                bi[bi.length - 2] = p;
                bi[bi.length - 1] = j;
                s += a.broadcastAt(ai) * b.broadcastAt(bi);
            }
            out.v[o] = s;
        }
        return out;
    }

    /** Softmax over the last dimension (a row of −∞ only gives zeros). */
    Ref softmaxLast() {
        int n = shape[rank() - 1];
        double[] o = new double[v.length];
        for (int r = 0; r < v.length / Math.max(1, n); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, v[r * n + j]);
            if (max == Double.NEGATIVE_INFINITY) continue;
            double s = 0;
            for (int j = 0; j < n; j++) s += Math.exp(v[r * n + j] - max);
            for (int j = 0; j < n; j++) o[r * n + j] = Math.exp(v[r * n + j] - max) / s;
        }
        return new Ref(shape, o);
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
