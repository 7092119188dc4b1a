package dev.qlora4j.tensor;

import dev.qlora4j.tensor.quant.Nf4Quantizer;
import dev.qlora4j.tensor.quant.Nf4Weight;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The 4-bit linear op: forward and input/bias gradients against the dequantized weight. */
class Nf4MatmulTest {
    private final Generator g = new Generator(44);

    private Nf4Weight weight(int out, int in, DType dtype) {
        return Nf4Quantizer.quantize(Tensor.randn(g, 0.5f, out, in).to(dtype), 64, true, "w");
    }

    @Test
    void gradientsOfInputAndBiasAgainstADoublePrecisionReference() {
        int out = 6, in = 64;
        Nf4Weight w = weight(out, in, DType.BF16);
        double[] wd = GradCheck.toDouble(Nf4Quantizer.dequantizeF32(w));
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, in), GradCheck.param(g, out)},
                t -> Nf4Matmul.linear(t[0], w, t[1]),
                x -> {
                    double[] y = new double[2 * 3 * out];
                    for (int r = 0; r < 6; r++)
                        for (int o = 0; o < out; o++) {
                            double s = x[1][o];
                            for (int i = 0; i < in; i++) s += x[0][r * in + i] * wd[o * in + i];
                            y[r * out + o] = s;
                        }
                    return y;
                });
        // non-contiguous input, no bias
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, in)}, t -> Nf4Matmul.linear(t[0], w, null),
                x -> {
                    double[] y = new double[3 * out];
                    for (int r = 0; r < 3; r++)
                        for (int o = 0; o < out; o++)
                            for (int i = 0; i < in; i++) y[r * out + o] += x[0][r * in + i] * wd[o * in + i];
                    return y;
                });
    }

    @Test
    void sameBitsAsTheDenseLinearOfTheDequantizedWeight() {
        Nf4Weight w = weight(96, 160, DType.F32);
        Tensor dense = Tensor.of(Nf4Quantizer.dequantizeF32(w), 96, 160);
        Tensor x1 = Tensor.randn(g, 1f, 4, 9, 160).requiresGrad(true), x2 = x1.detach().copy().requiresGrad(true);
        Tensor b1 = Tensor.randn(g, 1f, 96).requiresGrad(true), b2 = b1.detach().copy().requiresGrad(true);
        Tensor y1 = Nf4Matmul.linear(x1, w, b1), y2 = MatMul.linear(x2, dense, b2);
        assertThat(y1.shape()).containsExactly(4, 9, 96);
        assertThat(y1.toFloatArray()).isEqualTo(y2.toFloatArray());
        Tensor seed = Tensor.randn(g, 1f, 4, 9, 96);
        y1.mul(seed).sum().backward();
        y2.mul(seed).sum().backward();
        assertThat(x1.grad().toFloatArray()).isEqualTo(x2.grad().toFloatArray());
        assertThat(b1.grad().toFloatArray()).isEqualTo(b2.grad().toFloatArray());
    }

    @Test
    void frozenInputsRecordNothingAndShapesAreChecked() {
        Nf4Weight w = weight(8, 32, DType.F16);
        Tensor y = Nf4Matmul.linear(Tensor.randn(g, 1f, 2, 32), w, null);
        assertThat(y.gradFn()).isNull();
        assertThatThrownBy(() -> Nf4Matmul.linear(Tensor.zeros(2, 31), w, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Nf4Matmul.linear(Tensor.zeros(2, 32), w, Tensor.zeros(7))).isInstanceOf(IllegalArgumentException.class);
    }
}
