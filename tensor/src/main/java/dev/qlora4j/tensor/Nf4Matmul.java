package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Nf4Gemm;
import dev.qlora4j.tensor.quant.Nf4Weight;

/**
 * {@code x·Wᵀ + b} with a frozen NF4 weight, the projection of QLoRA: the 4-bit base never
 * receives a gradient, so backward computes only the input's ({@code g·W}, the weight again
 * dequantized panel by panel) and the bias's when it is trainable.
 */
public final class Nf4Matmul {
    private Nf4Matmul() {}

    // x [.., in] · W [out, in]ᵀ + bias [out] → [.., out]
    public static Tensor linear(Tensor x, Nf4Weight w, Tensor bias) {
        int in = w.cols(), outF = w.rows();
        if (x.rank() == 0 || x.size(-1) != in)
            throw new IllegalArgumentException("linear input " + Shapes.str(x.shape) + " vs 4-bit weight [" + outF + ", " + in + "]");
        if (bias != null && (bias.rank() != 1 || bias.shape[0] != outF))
            throw new IllegalArgumentException("linear bias " + Shapes.str(bias.shape) + " for 4-bit weight [" + outF + ", " + in + "]");
        MatMul.LinearOperands op = MatMul.LinearOperands.of(x, bias, outF);
        Tensor x2 = op.x2(), out = op.out();
        int rows = op.rows();
        Nf4Gemm.gemm(true, rows, outF, in, 1f, x2.array(), x2.arrayOffset(), in, w, bias != null ? 1f : 0f, out.array(), 0, outF);
        return Autograd.record(out, "nf4_linear", (g, needs) -> {
            Tensor gd = Arith.floatStorage(g).contiguous();
            Tensor gx = null, gb = null;
            if (needs[0]) {
                // dx [rows, in] = g [rows, out] · W [out, in]
                gx = Tensor.zeros(x.shape);
                Nf4Gemm.gemm(false, rows, in, outF, 1f, gd.array(), gd.arrayOffset(), outF, w, 0f, gx.array(), 0, in);
            }
            if (needs[1]) gb = Reduce.sum(gd.reshape(rows, outF), new int[]{0}, false);
            return new Tensor[]{gx, gb};
        }, x, bias);
    }
}
