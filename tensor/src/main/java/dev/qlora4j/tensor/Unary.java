package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Activations;
import dev.qlora4j.tensor.cpu.Parallel;

/** Pointwise functions (exp, log, sqrt, rsqrt, tanh, square, SiLU, GELU, soft-capping) and their backward. */
final class Unary {
    private Unary() {}

    enum Fn { EXP, LOG, SQRT, RSQRT, TANH, SQUARE, SILU, GELU, GELU_TANH }

    // x [..] → f(x) [..]
    static Tensor apply(Fn fn, Tensor x) {
        return run(Activations.Fn.valueOf(fn.name()), 0f, x);
    }

    // x [..] → cap·tanh(x/cap) [..]
    static Tensor softcap(Tensor x, float cap) {
        if (!(cap > 0)) throw new IllegalArgumentException("soft-cap must be positive: " + cap);
        return run(Activations.Fn.SOFTCAP, cap, x);
    }

    private static Tensor run(Activations.Fn fn, float cap, Tensor x) {
        Tensor xd = Arith.floatStorage(x).contiguous();
        Tensor y = Tensor.zeros(x.shape);
        float[] xa = xd.array(), ya = y.array();
        int xo = xd.arrayOffset();
        int n = Math.toIntExact(y.numel());
        Parallel.range(n, 1 << 14, (from, to) -> Activations.forward(fn, cap, xa, xo + from, ya, from, to - from));
        return Autograd.record(y, fn.name().toLowerCase(), (g, needs) -> {
            Tensor gd = Arith.floatStorage(g).contiguous();
            Tensor dx = Tensor.zeros(xd.shape);
            float[] ga = gd.array(), da = dx.array();
            int go = gd.arrayOffset();
            Parallel.range(n, 1 << 14, (from, to) ->
                    Activations.backward(fn, cap, xa, xo + from, ya, from, ga, go + from, da, from, to - from));
            return new Tensor[]{dx};
        }, x);
    }
}
