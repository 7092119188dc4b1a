package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * A weight gradient is adopted by its leaf without a copy (Autograd.owned), but one gradient
     * object reaching two leaves must not become the grad of both: accumulating into one would
     * change the other.
     */
    @Test
    void anAdoptedGradientIsNeverSharedBetweenLeaves() {
        Tensor a = Tensor.vector(1f, 2f).requiresGrad(true), b = Tensor.vector(3f, -1f).requiresGrad(true);
        Tensor w = Tensor.of(new float[]{1f, 2f, 3f, 4f, 5f, 6f}, 3, 2).requiresGrad(true);
        // (a + b)·Wᵀ: linear's input gradient (owned) goes unchanged to both leaves through the add
        MatMul.linear(a.add(b), w, null).sum().backward();
        float[] once = {9f, 12f};                                  // column sums of W
        assertThat(a.grad().toFloatArray()).containsExactly(once);
        assertThat(b.grad().toFloatArray()).containsExactly(once);
        assertThat(a.grad().segment().heapBase().orElseThrow()).isNotSameAs(b.grad().segment().heapBase().orElseThrow());
        float[] wGrad = w.grad().toFloatArray();
        MatMul.linear(a.add(b), w, null).sum().backward();
        assertThat(a.grad().toFloatArray()).containsExactly(18f, 24f);
        assertThat(b.grad().toFloatArray()).containsExactly(18f, 24f);
        for (int i = 0; i < wGrad.length; i++) assertThat(w.grad().toFloatArray()[i]).isEqualTo(2 * wGrad[i]);
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
    void sharedSubgraphsAndViewsOfTheSameTensor() {
        Generator g = new Generator(23);
        // x + xᵀ: both paths reach the same leaf, one through a view
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 3)}, t -> t[0].add(t[0].t()).mul(t[0]),
                x -> {
                    Ref r = Ref.of(x[0], 3, 3);
                    return Ref.binary(Ref.binary(r, r.transpose(0, 1), Double::sum), r, (a, b) -> a * b).v();
                });
        // a diamond: h = exp(x) feeds two branches that meet again
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3)}, t -> {
                    Tensor h = t[0].exp();
                    return h.mul(h.neg().add(2f)).add(h.square().sum(1, true));
                },
                x -> {
                    double[] o = new double[6];
                    for (int i = 0; i < 2; i++) {
                        double sq = 0;
                        for (int j = 0; j < 3; j++) sq += Math.exp(2 * x[0][i * 3 + j]);
                        for (int j = 0; j < 3; j++) {
                            double h = Math.exp(x[0][i * 3 + j]);
                            o[i * 3 + j] = h * (2 - h) + sq;
                        }
                    }
                    return o;
                });
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = Tensor.vector(2f, 3f).requiresGrad(true);
        Tensor d = x.detach();
        assertThat(d.requiresGrad()).isFalse();
        assertThat(d.isLeaf()).isTrue();
        x.mul(d).sum().backward();                      // d is a constant: the gradient is d, not 2x
        assertThat(x.grad().toFloatArray()).containsExactly(2f, 3f);
        Tensor mid = x.exp();
        assertThat(mid.detach().gradFn()).isNull();
        assertThat(mid.detach().segment()).isSameAs(mid.segment());
    }

    @Test
    void onlyLeavesKeepGradients() {
        Tensor x = Tensor.vector(1f, -1f).requiresGrad(true), c = Tensor.vector(5f, 6f);
        Tensor mid = x.mul(c);
        mid.sum().backward();
        assertThat(mid.grad()).isNull();
        assertThat(c.grad()).isNull();
        assertThat(x.grad().toFloatArray()).containsExactly(5f, 6f);
        assertThat(mid.isLeaf()).isFalse();
        assertThatThrownBy(() -> mid.requiresGrad(false)).isInstanceOf(IllegalStateException.class).hasMessageContaining("non-leaf");
        // a low-precision leaf still gets an F32 gradient
        Tensor h = Tensor.zeros(DType.BF16, 2, 2).requiresGrad(true);
        h.mul(3f).sum().backward();
        assertThat(h.grad().dtype()).isEqualTo(DType.F32);
        assertThat(h.grad().toFloatArray()).containsOnly(3f);
        // setGrad replaces, zeroGrad clears
        x.setGrad(Tensor.vector(10f, 10f));
        x.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(11f, 11f);
    }

    @Test
    void noGradScopesNestAndAreThreadLocal() throws Exception {
        Tensor x = Tensor.vector(1f).requiresGrad(true);
        var outer = Tensor.noGrad();
        var inner = Tensor.noGrad();
        outer.close();                                  // closing out of order still counts each scope once
        assertThat(Autograd.enabled()).isFalse();
        outer.close();                                  // closing twice is harmless
        assertThat(Autograd.enabled()).isFalse();
        boolean[] otherThread = new boolean[1];
        Thread t = new Thread(() -> otherThread[0] = x.mul(2f).requiresGrad());
        t.start();
        t.join();
        assertThat(otherThread[0]).isTrue();            // another thread records as usual
        inner.close();
        assertThat(Autograd.enabled()).isTrue();
        // an exception inside the scope still restores recording
        assertThatThrownBy(() -> {
            try (var s = Tensor.noGrad()) {
                throw new IllegalStateException("boom");
            }
        }).hasMessage("boom");
        assertThat(Autograd.enabled()).isTrue();
        assertThat(x.exp().gradFn().name()).isEqualTo("exp");
    }

    @Test
    void backwardOfASharedGraphTwiceFails() {
        Tensor x = Tensor.vector(1f, 2f).requiresGrad(true);
        Tensor mid = x.square();
        Tensor a = mid.sum(), b = mid.mul(2f).sum();
        a.backward();
        assertThatThrownBy(b::backward).isInstanceOf(IllegalStateException.class).hasMessageContaining("freed");
        assertThatThrownBy(() -> x.mul(2f).backward(Tensor.zeros(3))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3]").hasMessageContaining("[2]");
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Tensor x = Tensor.scalar(1f).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 20_000; i++) y = y.add(0.001f);
        y.backward();
        assertThat(x.grad().item()).isEqualTo(1f);
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
        assertThat(node.inputs).isNull();               // the node lets go of its inputs ...
        assertThat(node.backward).isNull();             // ... and of everything its backward captured
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
    void consumedActivationsAreReleasedDuringBackward() {
        // a probe op early in the graph runs its backward last; by then the big activation made after it
        // has been consumed and nothing may still hold it
        Tensor x = Tensor.randn(new Generator(2), 1f, 256, 256).requiresGrad(true);
        List<WeakReference<Tensor>> later = new ArrayList<>();
        boolean[] releasedInTime = new boolean[1];
        Tensor probe = Autograd.record(x.detach().copy(), "probe", (gOut, needs) -> {
            for (int i = 0; i < 20 && later.getFirst().get() != null; i++) System.gc();
            releasedInTime[0] = later.getFirst().get() == null;
            return new Tensor[]{gOut};
        }, x);
        Tensor mid = probe.tanh();
        later.add(new WeakReference<>(mid));
        Tensor loss = mid.sum();
        mid = null;
        loss.backward();
        assertThat(releasedInTime[0]).as("activation released before backward finished").isTrue();
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
