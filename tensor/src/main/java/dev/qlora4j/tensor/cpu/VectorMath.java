package dev.qlora4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised loops over float[] runs: elementwise arithmetic, reductions and the activation
 * functions with their derivatives. Every loop is a FloatVector main part plus a scalar tail.
 */
public final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** The four broadcasting binary operations. */
    public enum BinOp { ADD, SUB, MUL, DIV }

    /**
     * out[i] = a[ao + i·as] op b[bo + i·bs] for i in [0, n). Strides of 1 and 0 (broadcast) take
     * the vector path; any other stride a scalar one.
     */
    public static void binary(BinOp op, float[] a, int ao, int as, float[] b, int bo, int bs,
                              float[] out, int oo, int n) {
        if ((as == 1 || as == 0) && (bs == 1 || bs == 0)) {
            int i = 0;
            if (as == 1 && bs == 1) {
                for (; i < S.loopBound(n); i += L) {
                    var x = FloatVector.fromArray(S, a, ao + i);
                    var y = FloatVector.fromArray(S, b, bo + i);
                    apply(op, x, y).intoArray(out, oo + i);
                }
            } else if (as == 1) {
                var y = FloatVector.broadcast(S, b[bo]);
                for (; i < S.loopBound(n); i += L) apply(op, FloatVector.fromArray(S, a, ao + i), y).intoArray(out, oo + i);
            } else if (bs == 1) {
                var x = FloatVector.broadcast(S, a[ao]);
                for (; i < S.loopBound(n); i += L) apply(op, x, FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
            for (; i < n; i++) out[oo + i] = apply(op, a[ao + i * as], b[bo + i * bs]);
        } else {
            for (int i = 0; i < n; i++) out[oo + i] = apply(op, a[ao + i * as], b[bo + i * bs]);
        }
    }

    private static FloatVector apply(BinOp op, FloatVector x, FloatVector y) {
        return switch (op) {
            case ADD -> x.add(y);
            case SUB -> x.sub(y);
            case MUL -> x.mul(y);
            case DIV -> x.div(y);
        };
    }

    private static float apply(BinOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
        };
    }

    /** out[i] = x[i]·scale + shift. */
    public static void affine(float[] x, int xo, float scale, float shift, float[] out, int oo, int n) {
        int i = 0;
        var s = FloatVector.broadcast(S, scale);
        var t = FloatVector.broadcast(S, shift);
        for (; i < S.loopBound(n); i += L) FloatVector.fromArray(S, x, xo + i).fma(s, t).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = Math.fma(x[xo + i], scale, shift);   // as the lanes round it
    }

    /** y[i] += alpha·x[i]. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        var a = FloatVector.broadcast(S, alpha);
        for (; i < S.loopBound(n); i += L)
            FloatVector.fromArray(S, x, xo + i).fma(a, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = Math.fma(x[xo + i], alpha, y[yo + i]);
    }

    /**
     * The lanes of v added in lane order. {@code reduceLanes(ADD)} may add them in another order
     * once the JIT compiles it (a tree, against the interpreter's loop), which changes the last
     * bit: results would depend on JIT timing, and a resumed training run would drift.
     */
    public static float lanesSum(FloatVector v) {
        float[] lanes = new float[L];
        v.intoArray(lanes, 0);
        float s = 0f;
        for (float f : lanes) s += f;
        return s;
    }

    public static float sum(float[] x, int xo, int n) {
        int i = 0;
        var acc = FloatVector.zero(S);
        for (; i < S.loopBound(n); i += L) acc = acc.add(FloatVector.fromArray(S, x, xo + i));
        float s = lanesSum(acc);
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    public static float dot(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        var acc = FloatVector.zero(S);
        for (; i < S.loopBound(n); i += L)
            acc = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
        float s = lanesSum(acc);
        for (; i < n; i++) s += x[xo + i] * y[yo + i];
        return s;
    }

    public static float sumOfSquares(float[] x, int xo, int n) {
        return dot(x, xo, x, xo, n);
    }

    public static float max(float[] x, int xo, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            var acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < S.loopBound(n); i += L) acc = acc.max(FloatVector.fromArray(S, x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** y[i] = exp(x[i] − shift); returns Σ y. */
    public static float expShifted(float[] x, int xo, float shift, float[] y, int yo, int n) {
        int i = 0;
        var s = FloatVector.broadcast(S, shift);
        var acc = FloatVector.zero(S);
        for (; i < S.loopBound(n); i += L) {
            var e = Transcendentals.exp(FloatVector.fromArray(S, x, xo + i).sub(s));
            e.intoArray(y, yo + i);
            acc = acc.add(e);
        }
        float sum = lanesSum(acc);
        for (; i < n; i++) {
            float e = Transcendentals.exp(x[xo + i] - shift);
            y[yo + i] = e;
            sum += e;
        }
        return sum;
    }

    /** x[i] *= s. */
    public static void scale(float[] x, int xo, float s, int n) {
        affine(x, xo, s, 0f, x, xo, n);
    }

    /** out[i] = x[i]·y[i]·s. */
    public static void mulScaled(float[] x, int xo, float[] y, int yo, float s, float[] out, int oo, int n) {
        int i = 0;
        var sv = FloatVector.broadcast(S, s);
        for (; i < S.loopBound(n); i += L)
            FloatVector.fromArray(S, x, xo + i).mul(FloatVector.fromArray(S, y, yo + i)).mul(sv).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = x[xo + i] * y[yo + i] * s;
    }

    /** out[i] = alpha·x[i] + beta·y[i]. */
    public static void axpby(float alpha, float[] x, int xo, float beta, float[] y, int yo, float[] out, int oo, int n) {
        int i = 0;
        var a = FloatVector.broadcast(S, alpha);
        var b = FloatVector.broadcast(S, beta);
        for (; i < S.loopBound(n); i += L)
            FloatVector.fromArray(S, x, xo + i).mul(a).add(FloatVector.fromArray(S, y, yo + i).mul(b)).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = alpha * x[xo + i] + beta * y[yo + i];
    }

    /** acc[i] += x[i]·y[i]·s. */
    public static void accumulateProduct(float[] x, int xo, float[] y, int yo, float s, float[] acc, int ao, int n) {
        int i = 0;
        var sv = FloatVector.broadcast(S, s);
        for (; i < S.loopBound(n); i += L)
            FloatVector.fromArray(S, x, xo + i).mul(FloatVector.fromArray(S, y, yo + i))
                    .fma(sv, FloatVector.fromArray(S, acc, ao + i)).intoArray(acc, ao + i);
        for (; i < n; i++) acc[ao + i] = Math.fma(x[xo + i] * y[yo + i], s, acc[ao + i]);
    }

    /** dx[i] = g[i] − exp(logp[i])·gSum: the log-softmax backward of one row. */
    public static void logSoftmaxBackward(float[] g, int go, float[] logp, int lo, float gSum, float[] dx, int dxo, int n) {
        int i = 0;
        var gs = FloatVector.broadcast(S, -gSum);
        for (; i < S.loopBound(n); i += L)
            Transcendentals.exp(FloatVector.fromArray(S, logp, lo + i))
                    .fma(gs, FloatVector.fromArray(S, g, go + i)).intoArray(dx, dxo + i);
        for (; i < n; i++) dx[dxo + i] = Math.fma(Transcendentals.exp(logp[lo + i]), -gSum, g[go + i]);
    }

    /**
     * Rotates one head vector in the rotate-half layout: out₁ = x₁·c − x₂·s, out₂ = x₂·c + x₁·s for
     * the halves x₁ = x[0, half), x₂ = x[half, 2·half); {@code sign} = −1 rotates backwards.
     */
    public static void rotateHalf(float[] x, int xo, float[] out, int oo, float[] cos, float[] sin, int co, int half, float sign) {
        int i = 0;
        for (; i < S.loopBound(half); i += L) {
            var c = FloatVector.fromArray(S, cos, co + i);
            var s = FloatVector.fromArray(S, sin, co + i).mul(sign);
            var x1 = FloatVector.fromArray(S, x, xo + i);
            var x2 = FloatVector.fromArray(S, x, xo + half + i);
            x1.mul(c).sub(x2.mul(s)).intoArray(out, oo + i);
            x2.mul(c).add(x1.mul(s)).intoArray(out, oo + half + i);
        }
        for (; i < half; i++) {
            float c = cos[co + i], s = sign * sin[co + i];
            float x1 = x[xo + i], x2 = x[xo + half + i];
            out[oo + i] = x1 * c - x2 * s;
            out[oo + half + i] = x2 * c + x1 * s;
        }
    }
}
