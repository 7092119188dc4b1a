package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointTest {
    /** A small residual block with a weight, a nonlinearity and dropout. */
    private static UnaryOperator<Tensor> block(Tensor w, Generator dropout) {
        return x -> x.add(Dropout.apply(MatMul.linear(x, w, null).silu(), 0.3f, dropout, true));
    }

    @Test
    void sameValuesAndGradientsAsWithoutCheckpointing() {
        Generator init = new Generator(3);
        Tensor w1 = Tensor.randn(init, 0.3f, 8, 8).requiresGrad(true), w2 = Tensor.randn(init, 0.3f, 8, 8).requiresGrad(true);
        Tensor x = Tensor.randn(init, 1f, 4, 8).requiresGrad(true);

        Generator d = new Generator(11);
        Tensor plain = block(w2, d).apply(block(w1, d).apply(x)).square().sum();
        plain.backward();
        float[] gw1 = w1.grad().toFloatArray(), gw2 = w2.grad().toFloatArray(), gx = x.grad().toFloatArray();
        w1.zeroGrad();
        w2.zeroGrad();
        x.zeroGrad();

        d.reseed(11);
        Tensor h = Checkpoint.apply(block(w1, d), x, List.of(w1), d);
        Tensor ckpt = Checkpoint.apply(block(w2, d), h, List.of(w2), d).square().sum();
        assertThat(ckpt.item()).isEqualTo(plain.item());
        ckpt.backward();
        assertThat(w1.grad().toFloatArray()).containsExactly(gw1);
        assertThat(w2.grad().toFloatArray()).containsExactly(gw2);
        assertThat(x.grad().toFloatArray()).containsExactly(gx);
    }

    @Test
    void parametersAloneMakeTheResultTrainable() {
        Generator init = new Generator(4);
        Tensor w = Tensor.randn(init, 0.3f, 6, 6).requiresGrad(true);
        Tensor x = Tensor.randn(init, 1f, 3, 6);   // frozen input, as embeddings of a frozen base are
        Tensor y = Checkpoint.apply(v -> MatMul.linear(v, w, null).tanh(), x, List.of(w));
        assertThat(y.requiresGrad()).isTrue();
        y.sum().backward();
        Tensor w2 = w.detach().copy().requiresGrad(true);
        MatMul.linear(x, w2, null).tanh().sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(w2.grad().toFloatArray());
    }

    @Test
    void withoutAnythingTrainableItIsAPlainCall() {
        Tensor x = Tensor.randn(new Generator(1), 1f, 2, 2);
        Tensor y = Checkpoint.apply(Tensor::exp, x, List.of());
        assertThat(y.requiresGrad()).isFalse();
        assertThat(y.toFloatArray()).containsExactly(x.exp().toFloatArray());
    }
}
