package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AutogradTest {
    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = Tensor.vector(1f, 2f).requiresGrad(true);
        x.mul(3f).sum().backward();
        x.square().sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(3f + 2f, 3f + 4f);
        x.zeroGrad();
        assertThat(x.grad()).isNull();
    }

    @Test
    void tensorsUsedTwice() {
        Tensor x = Tensor.vector(3f, -1f).requiresGrad(true);
        x.mul(x).add(x.add(x)).sum().backward();              // d/dx (x² + 2x) = 2x + 2
        assertThat(x.grad().toFloatArray()).containsExactly(8f, 0f);
        Tensor y = Tensor.vector(2f).requiresGrad(true);
        Tensor h = y.exp();
        h.mul(h).sum().backward();                          // d/dy e^{2y} = 2e^{2y}
        assertThat((double) y.grad().item()).isCloseTo(2 * Math.exp(4), org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void noGradRecordsNothing() {
        Tensor x = Tensor.vector(1f).requiresGrad(true);
        try (var outer = Tensor.noGrad()) {
            try (var inner = Tensor.noGrad()) {
                assertThat(x.mul(2f).requiresGrad()).isFalse();
            }
            assertThat(x.exp().gradFn()).isNull();
            assertThat(Autograd.enabled()).isFalse();
        }
        assertThat(Autograd.enabled()).isTrue();
        assertThat(x.mul(2f).requiresGrad()).isTrue();
        assertThat(x.detach().requiresGrad()).isFalse();
        assertThat(x.detach().segment()).isSameAs(x.segment());
        assertThat(Tensor.vector(1f).mul(2f).requiresGrad()).isFalse();
    }

    @Test
    void backwardNeedsAScalarOrAGradient() {
        Tensor x = Tensor.vector(1f, 2f).requiresGrad(true);
        assertThatThrownBy(() -> x.mul(2f).backward()).isInstanceOf(IllegalStateException.class).hasMessageContaining("scalar");
        x.mul(2f).backward(Tensor.vector(1f, 10f));
        assertThat(x.grad().toFloatArray()).containsExactly(2f, 20f);
        assertThatThrownBy(() -> Tensor.vector(1f).backward()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void graphIsReleasedAfterBackward() {
        Tensor x = Tensor.randn(new Generator(1), 1f, 64, 64).requiresGrad(true);
        Tensor mid = x.tanh();
        Tensor loss = mid.square().sum();
        Node node = mid.gradFn();
        WeakReference<Tensor> saved = new WeakReference<>(mid);
        assertThat(node.released()).isFalse();
        loss.backward();
        assertThat(node.released()).isTrue();
        assertThat(loss.gradFn().released()).isTrue();
        assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class).hasMessageContaining("freed");
        // once backward has consumed the graph nothing in it holds the intermediate any more
        mid = null;
        node = null;
        for (int i = 0; i < 20 && saved.get() != null; i++) System.gc();
        assertThat(saved.get()).isNull();
        assertThat(x.grad()).isNotNull();
    }

    @Test
    void leafGradIsNotAliasedWithOtherGradients() {
        Tensor x = Tensor.vector(1f, 2f).requiresGrad(true);
        Tensor y = Tensor.vector(5f, 5f).requiresGrad(true);
        x.add(y).sum().backward();
        x.grad().set(100f, 0);
        assertThat(y.grad().get(0)).isEqualTo(1f);
    }
}
