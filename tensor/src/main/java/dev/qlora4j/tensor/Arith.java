package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.cpu.VectorMath;

/** Broadcasting add/sub/mul/div and x·s + t, forward and backward. */
final class Arith {
    private Arith() {}

    enum Op { ADD, SUB, MUL, DIV }

    // a [..] op b [..] → broadcast shape
    static Tensor binary(Op op, Tensor a, Tensor b) {
        Tensor out = compute(op, a, b);
        int[] aShape = a.shape, bShape = b.shape;
        return Autograd.record(out, op.name().toLowerCase(), (g, needs) -> {
            Tensor ga = null, gb = null;
            switch (op) {
                case ADD -> {
                    if (needs[0]) ga = Reduce.sumToShape(g, aShape);
                    if (needs[1]) gb = Reduce.sumToShape(g, bShape);
                }
                case SUB -> {
                    if (needs[0]) ga = Reduce.sumToShape(g, aShape);
                    if (needs[1]) gb = Reduce.sumToShape(g, bShape).neg();
                }
                case MUL -> {
                    if (needs[0]) ga = Reduce.sumToShape(compute(Op.MUL, g, b), aShape);
                    if (needs[1]) gb = Reduce.sumToShape(compute(Op.MUL, g, a), bShape);
                }
                case DIV -> {
                    if (needs[0]) ga = Reduce.sumToShape(compute(Op.DIV, g, b), aShape);
                    // d(a/b)/db = −(a/b)/b
                    if (needs[1]) gb = Reduce.sumToShape(compute(Op.DIV, compute(Op.MUL, g, out), b), bShape).neg();
                }
            }
            return new Tensor[]{ga, gb};
        }, a, b);
    }

    /** The forward kernel without recording: a fresh dense F32 tensor of the broadcast shape. */
    static Tensor compute(Op op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(a.shape, b.shape);
        Tensor out = Tensor.zeros(shape);
        Tensor x = Views.expandNoGrad(floatStorage(a), shape);
        Tensor y = Views.expandNoGrad(floatStorage(b), shape);
        VectorMath.BinOp kernel = VectorMath.BinOp.values()[op.ordinal()];
        float[] xa = heap(x), ya = heap(y), oa = out.array();
        int xBase = base(x), yBase = base(y);
        int rank = shape.length;
        if (rank == 0 || x.isContiguous() && y.isContiguous()) {
            int n = Math.toIntExact(out.numel());
            Parallel.range(n, 1 << 15, (from, to) ->
                    VectorMath.binary(kernel, xa, xBase + from, 1, ya, yBase + from, 1, oa, from, to - from));
            return out;
        }
        int inner = shape[rank - 1];
        int rows = inner == 0 ? 0 : Math.toIntExact(out.numel() / inner);
        int xs = Math.toIntExact(x.strides[rank - 1]), ys = Math.toIntExact(y.strides[rank - 1]);
        Parallel.range(rows, Math.max(1, (1 << 15) / Math.max(1, inner)), (from, to) -> {
            for (int r = from; r < to; r++) {
                long xo = xBase, yo = yBase;
                int rem = r;
                for (int d = rank - 2; d >= 0; d--) {
                    int i = rem % shape[d];
                    rem /= shape[d];
                    xo += i * x.strides[d];
                    yo += i * y.strides[d];
                }
                VectorMath.binary(kernel, xa, (int) xo, xs, ya, (int) yo, ys, oa, r * inner, inner);
            }
        });
        return out;
    }

    // x [..] → x·scale + shift
    static Tensor affine(Tensor x, float scale, float shift) {
        Tensor xd = floatStorage(x).contiguous();
        Tensor out = Tensor.zeros(x.shape);
        int n = Math.toIntExact(out.numel());
        float[] xa = xd.array(), oa = out.array();
        int xo = xd.arrayOffset();
        Parallel.range(n, 1 << 15, (from, to) -> VectorMath.affine(xa, xo + from, scale, shift, oa, from, to - from));
        return Autograd.record(out, "affine", (g, needs) -> new Tensor[]{scale == 1f ? g : affine(g, scale, 0f)}, x);
    }

    /** dst += src in place (dst dense F32; src broadcast to dst's shape). Not recorded. */
    static void addInPlace(Tensor dst, Tensor src) {
        Tensor sum = compute(Op.ADD, dst, src);
        Views.copyInto(sum, dst);
    }

    /** t itself when it is F32 in a float[] (any strides), otherwise a dense F32 copy, detached. */
    static Tensor floatStorage(Tensor t) {
        if (t.floatArray() != null) return t.detach();
        try (var ignored = Autograd.noGrad()) {
            return Views.contiguousF32(t).detach();
        }
    }

    static float[] heap(Tensor t) {
        return (float[]) t.data.heapBase().orElseThrow();
    }

    /** Element index of t's offset inside its float[]. */
    static int base(Tensor t) {
        return Math.toIntExact(t.data.address() / 4 + t.offset);
    }
}
