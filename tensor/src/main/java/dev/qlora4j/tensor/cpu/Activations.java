package dev.qlora4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;

import static dev.qlora4j.tensor.cpu.VectorMath.L;
import static dev.qlora4j.tensor.cpu.VectorMath.S;

/**
 * Pointwise functions and their derivatives over float[] runs. {@code forward} computes y = f(x);
 * {@code backward} computes dx = g · f'(x), given x and y (each function uses whichever is cheaper).
 */
public final class Activations {
    private Activations() {}

    public enum Fn { EXP, LOG, SQRT, RSQRT, TANH, SQUARE, SILU, GELU, GELU_TANH, SOFTCAP }

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    private static final float GELU_C = 0.044715f;
    private static final float GELU_3C = 3 * GELU_C;
    private static final double INV_SQRT_2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    /** y = f(x); {@code cap} is only read by SOFTCAP (cap·tanh(x/cap)). */
    public static void forward(Fn fn, float cap, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        switch (fn) {
            case EXP -> { for (; i < S.loopBound(n); i += L) Transcendentals.exp(load(x, xo + i)).intoArray(y, yo + i); }
            case LOG -> { for (; i < S.loopBound(n); i += L) Transcendentals.log(load(x, xo + i)).intoArray(y, yo + i); }
            case SQRT -> { for (; i < S.loopBound(n); i += L) load(x, xo + i).sqrt().intoArray(y, yo + i); }
            case RSQRT -> { for (; i < S.loopBound(n); i += L) FloatVector.broadcast(S, 1f).div(load(x, xo + i).sqrt()).intoArray(y, yo + i); }
            case TANH -> { for (; i < S.loopBound(n); i += L) Transcendentals.tanh(load(x, xo + i)).intoArray(y, yo + i); }
            case SQUARE -> { for (; i < S.loopBound(n); i += L) { var v = load(x, xo + i); v.mul(v).intoArray(y, yo + i); } }
            case SILU -> {
                for (; i < S.loopBound(n); i += L) {
                    var v = load(x, xo + i);
                    v.div(Transcendentals.exp(v.neg()).add(1f)).intoArray(y, yo + i);
                }
            }
            case GELU_TANH -> {
                for (; i < S.loopBound(n); i += L) {
                    var v = load(x, xo + i);
                    var inner = v.mul(v).mul(GELU_C).add(1f).mul(v).mul(SQRT_2_OVER_PI);
                    v.mul(0.5f).mul(Transcendentals.tanh(inner).add(1f)).intoArray(y, yo + i);
                }
            }
            case SOFTCAP -> {
                float inv = 1f / cap;
                for (; i < S.loopBound(n); i += L)
                    Transcendentals.tanh(load(x, xo + i).mul(inv)).mul(cap).intoArray(y, yo + i);
            }
            case GELU -> { } // scalar: needs erf
        }
        for (; i < n; i++) y[yo + i] = scalar(fn, cap, x[xo + i]);
    }

    /** dx = g·f'(x). x may be null for EXP, SQRT, RSQRT, TANH, SOFTCAP (they use y). */
    public static void backward(Fn fn, float cap, float[] x, int xo, float[] y, int yo, float[] g, int go,
                                float[] dx, int dxo, int n) {
        int i = 0;
        switch (fn) {
            case EXP -> { for (; i < S.loopBound(n); i += L) load(g, go + i).mul(load(y, yo + i)).intoArray(dx, dxo + i); }
            case LOG -> { for (; i < S.loopBound(n); i += L) load(g, go + i).div(load(x, xo + i)).intoArray(dx, dxo + i); }
            case SQRT -> { for (; i < S.loopBound(n); i += L) load(g, go + i).mul(0.5f).div(load(y, yo + i)).intoArray(dx, dxo + i); }
            case RSQRT -> {
                for (; i < S.loopBound(n); i += L) {
                    var v = load(y, yo + i);
                    load(g, go + i).mul(v.mul(v).mul(v)).mul(-0.5f).intoArray(dx, dxo + i);
                }
            }
            case TANH -> {
                for (; i < S.loopBound(n); i += L) {
                    var v = load(y, yo + i);
                    load(g, go + i).mul(v.mul(v).neg().add(1f)).intoArray(dx, dxo + i);
                }
            }
            case SQUARE -> { for (; i < S.loopBound(n); i += L) load(g, go + i).mul(load(x, xo + i)).mul(2f).intoArray(dx, dxo + i); }
            case SILU -> {
                for (; i < S.loopBound(n); i += L) {
                    var v = load(x, xo + i);
                    var sig = FloatVector.broadcast(S, 1f).div(Transcendentals.exp(v.neg()).add(1f));
                    // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
                    var d = sig.mul(v.mul(sig.neg().add(1f)).add(1f));
                    load(g, go + i).mul(d).intoArray(dx, dxo + i);
                }
            }
            case SOFTCAP -> {
                float inv = 1f / cap;
                for (; i < S.loopBound(n); i += L) {
                    var t = load(y, yo + i).mul(inv);
                    load(g, go + i).mul(t.mul(t).neg().add(1f)).intoArray(dx, dxo + i);
                }
            }
            case GELU_TANH -> {
                for (; i < S.loopBound(n); i += L) {
                    var v = load(x, xo + i);
                    load(g, go + i).mul(geluTanhDerivative(v, geluTanhInner(v))).intoArray(dx, dxo + i);
                }
            }
            case GELU -> { }
        }
        for (; i < n; i++) {
            float xi = x == null ? 0f : x[xo + i];
            float yi = y == null ? 0f : y[yo + i];
            dx[dxo + i] = scalarBackward(fn, cap, g[go + i], xi, yi);
        }
    }

    /**
     * g·f'(x) for one element, with the vector loop's operations in its order, so an element gets
     * the same bits whether it falls in a vector or in the tail (chunk boundaries then do not matter).
     */
    static float scalarBackward(Fn fn, float cap, float g, float x, float y) {
        return switch (fn) {
            case EXP -> g * y;
            case LOG -> g / x;
            case SQRT -> g * 0.5f / y;
            case RSQRT -> g * (y * y * y) * -0.5f;
            case TANH -> g * (-(y * y) + 1f);
            case SQUARE -> g * x * 2f;
            case SILU -> {
                float sig = 1f / (Transcendentals.exp(-x) + 1f);
                yield g * (sig * (x * (-sig + 1f) + 1f));
            }
            case SOFTCAP -> {
                float t = y * (1f / cap);
                yield g * (-(t * t) + 1f);
            }
            case GELU, GELU_TANH -> g * scalarDerivative(fn, cap, x, y);
        };
    }

    /** out = f(gate)·up: the inner product of a gated MLP (SwiGLU, GeGLU). */
    public static void gatedForward(Fn fn, float[] gate, int gateO, float[] up, int upO, float[] out, int oo, int n) {
        int i = 0;
        if (fn == Fn.SILU) {
            for (; i < S.loopBound(n); i += L) {
                var v = load(gate, gateO + i);
                v.div(Transcendentals.exp(v.neg()).add(1f)).mul(load(up, upO + i)).intoArray(out, oo + i);
            }
            for (; i < n; i++) out[oo + i] = scalar(fn, 0f, gate[gateO + i]) * up[upO + i];   // scalar SILU = the lane's x/(e^-x + 1)
        } else {
            forward(fn, 0f, gate, gateO, out, oo, n);
            VectorMath.binary(VectorMath.BinOp.MUL, out, oo, 1, up, upO, 1, out, oo, n);
        }
    }

    /** Backward of {@link #gatedForward}: dgate = g·up·f'(gate), dup = g·f(gate). */
    public static void gatedBackward(Fn fn, float[] gate, int gateO, float[] up, int upO, float[] g, int go,
                                     float[] dgate, int dgo, float[] dup, int duo, int n) {
        int i = 0;
        if (fn == Fn.SILU) {
            // one exponential for both: silu = x·σ, silu' = σ·(1 + x·(1 − σ))
            for (; i < S.loopBound(n); i += L) {
                var v = load(gate, gateO + i);
                var gv = load(g, go + i);
                var onePlusExp = Transcendentals.exp(v.neg()).add(1f);
                var sig = FloatVector.broadcast(S, 1f).div(onePlusExp);
                gv.mul(v.div(onePlusExp)).intoArray(dup, duo + i);
                gv.mul(load(up, upO + i)).mul(sig.mul(v.mul(sig.neg().add(1f)).add(1f))).intoArray(dgate, dgo + i);
            }
        } else if (fn == Fn.GELU_TANH) {
            for (; i < S.loopBound(n); i += L) {
                var v = load(gate, gateO + i);
                var gv = load(g, go + i);
                var t = geluTanhInner(v);
                gv.mul(v.mul(0.5f).mul(t.add(1f))).intoArray(dup, duo + i);
                gv.mul(load(up, upO + i)).mul(geluTanhDerivative(v, t)).intoArray(dgate, dgo + i);
            }
        }
        for (; i < n; i++) {
            float x = gate[gateO + i], a = scalar(fn, 0f, x);
            dup[duo + i] = g[go + i] * a;
            if (fn == Fn.SILU) {
                float onePlusExp = Transcendentals.exp(-x) + 1f, sig = 1f / onePlusExp;
                dup[duo + i] = g[go + i] * (x / onePlusExp);
                dgate[dgo + i] = g[go + i] * up[upO + i] * (sig * (x * (-sig + 1f) + 1f));
            } else {
                dgate[dgo + i] = g[go + i] * up[upO + i] * scalarDerivative(fn, 0f, x, a);
            }
        }
    }

    /** tanh(√(2/π)·(x + c·x³)), the tanh of the GELU approximation, as its forward computes it. */
    private static FloatVector geluTanhInner(FloatVector v) {
        return Transcendentals.tanh(v.mul(v).mul(GELU_C).add(1f).mul(v).mul(SQRT_2_OVER_PI));
    }

    /** d/dx of x/2·(1 + t) with t = tanh(u): (1 + t)/2 + x/2·(1 − t²)·u'; {@link #scalarDerivative} mirrors it. */
    private static FloatVector geluTanhDerivative(FloatVector v, FloatVector t) {
        var du = v.mul(v).mul(GELU_3C).add(1f).mul(SQRT_2_OVER_PI);
        return t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(du));
    }

    private static FloatVector load(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }

    static float scalar(Fn fn, float cap, float x) {
        return switch (fn) {
            // as the vector loops compute them (see scalarBackward)
            case EXP -> Transcendentals.exp(x);
            case LOG -> Transcendentals.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> 1f / (float) Math.sqrt(x);
            case TANH -> Transcendentals.tanh(x);
            case SQUARE -> x * x;
            case SILU -> x / (Transcendentals.exp(-x) + 1f);
            case GELU -> (float) (0.5 * x * (1 + erf(x * INV_SQRT_2)));
            case GELU_TANH -> x * 0.5f * (Transcendentals.tanh((x * x * GELU_C + 1f) * x * SQRT_2_OVER_PI) + 1f);
            case SOFTCAP -> Transcendentals.tanh(x * (1f / cap)) * cap;
        };
    }

    static float scalarDerivative(Fn fn, float cap, float x, float y) {
        return switch (fn) {
            case EXP -> y;
            case LOG -> 1f / x;
            case SQRT -> 0.5f / y;
            case RSQRT -> -0.5f * y * y * y;
            case TANH -> 1 - y * y;
            case SQUARE -> 2 * x;
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                yield (float) (s * (1 + x * (1 - s)));
            }
            case GELU -> (float) (0.5 * (1 + erf(x * INV_SQRT_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
            case GELU_TANH -> {
                // the vector lanes' operations in their order (geluTanhInner, geluTanhDerivative)
                float t = Transcendentals.tanh((x * x * GELU_C + 1f) * x * SQRT_2_OVER_PI);
                float du = (x * x * GELU_3C + 1f) * SQRT_2_OVER_PI;
                yield (t + 1f) * 0.5f + x * 0.5f * (-(t * t) + 1f) * du;
            }
            case SOFTCAP -> {
                float t = y / cap;
                yield 1 - t * t;
            }
        };
    }

    /**
     * The error function to double precision: its Maclaurin series below |x| = 3 (where the
     * alternating terms lose at most four digits), the continued fraction of erfc above.
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 3) {
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        if (ax > 6) return Math.signum(x);
        double f = ax;
        for (int k = 60; k >= 1; k--) f = ax + (k / 2.0) / f;
        double erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
        return Math.signum(x) * (1 - erfc);
    }
}
