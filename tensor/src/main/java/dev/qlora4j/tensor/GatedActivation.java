package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Activations;
import dev.qlora4j.tensor.cpu.Parallel;

/**
 * The inner product of a gated MLP, {@code act(gate) ⊙ up} (SwiGLU with SiLU, GeGLU with GELU),
 * as one op: act(gate) is never stored (the backward recomputes it), so a step allocates one
 * [.., FF] array instead of two forward and three backward.
 */
public final class GatedActivation {
    private GatedActivation() {}

    public enum Kind {
        SILU(Activations.Fn.SILU), GELU(Activations.Fn.GELU), GELU_TANH(Activations.Fn.GELU_TANH);

        final Activations.Fn fn;

        Kind(Activations.Fn fn) {
            this.fn = fn;
        }
    }

    // gate [..], up [..] (same shape) → act(gate) ⊙ up
    public static Tensor apply(Kind kind, Tensor gate, Tensor up) {
        if (!java.util.Arrays.equals(gate.shape, up.shape))
            throw new IllegalArgumentException("gate " + Shapes.str(gate.shape) + " and up " + Shapes.str(up.shape) + " differ in shape");
        Tensor gd = Arith.floatStorage(gate).contiguous(), ud = Arith.floatStorage(up).contiguous();
        float[] ga = gd.array(), ua = ud.array();
        int go = gd.arrayOffset(), uo = ud.arrayOffset(), n = Math.toIntExact(gate.numel());
        Tensor y = Tensor.zeros(gate.shape);
        float[] ya = y.array();
        Parallel.range(n, 1 << 14, (from, to) -> Activations.gatedForward(kind.fn, ga, go + from, ua, uo + from, ya, from, to - from));
        return Autograd.record(y, "gated_" + kind.name().toLowerCase(), (g, needs) -> {
            Tensor gg = Arith.floatStorage(g).contiguous();
            float[] gra = gg.array();
            int gro = gg.arrayOffset();
            Tensor dGate = Tensor.zeros(gate.shape), dUp = Tensor.zeros(gate.shape);
            float[] dga = dGate.array(), dua = dUp.array();
            Parallel.range(n, 1 << 14, (from, to) -> Activations.gatedBackward(kind.fn, ga, go + from, ua, uo + from,
                    gra, gro + from, dga, from, dua, from, to - from));
            return new Tensor[]{needs[0] ? Autograd.owned(dGate) : null, needs[1] ? Autograd.owned(dUp) : null};
        }, gate, up);
    }
}
