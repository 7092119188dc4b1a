package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReduceTest {
    private final Generator g = new Generator(8);

    @Test
    void sumOverOneDim() {
        for (boolean keep : new boolean[]{false, true})
            for (int dim = 0; dim < 3; dim++) {
                int d = dim;
                GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 4)}, t -> t[0].sum(d, keep),
                        x -> Ref.of(x[0], 2, 3, 4).sum(new int[]{d}, keep).v());
            }
    }

    @Test
    void sumAndMeanOverSeveralAndAllDims() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 4)}, t -> t[0].sum(new int[]{0, 2}, true),
                x -> Ref.of(x[0], 2, 3, 4).sum(new int[]{0, 2}, true).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4)}, t -> t[0].mean(new int[]{-1, 1}, false),
                x -> Ref.of(x[0], 2, 3, 4).sum(new int[]{1, 2}, false).map(v -> v / 12).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 5)}, t -> t[0].mean(),
                x -> new double[]{Ref.of(x[0], 15).sum(new int[]{0}, false).v()[0] / 15});
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 5)}, t -> t[0].sum(),
                x -> Ref.of(x[0], 15).sum(new int[]{0}, false).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 3)}, t -> t[0].mean(0, true),
                x -> Ref.of(x[0], 4, 3).sum(new int[]{0}, true).map(v -> v / 4).v());
    }

    @Test
    void maxGradientGoesToTheFirstMaximum() {
        for (int dim = 0; dim < 2; dim++) {
            int d = dim;
            GradCheck.check(new Tensor[]{GradCheck.strided(g, 4, 5)}, t -> t[0].max(d, false),
                    x -> Ref.of(x[0], 4, 5).reduce(new int[]{d}, false, Double.NEGATIVE_INFINITY, Math::max).v());
        }
        Tensor x = Tensor.of(new float[]{1, 3, 3, 2, 0, 0}, 2, 3).requiresGrad(true);
        Tensor m = x.max(1, true);
        assertThat(m.shape()).containsExactly(2, 1);
        assertThat(m.toFloatArray()).containsExactly(3f, 2f);
        m.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0, 1, 0, 1, 0, 0);
        assertThat(x.argmax(1, false).toLongArray()).containsExactly(1, 0);
        assertThat(x.argmax(0, true).shape()).containsExactly(1, 3);
        assertThat(x.argmax(1, false).dtype()).isEqualTo(DType.I64);
    }

    @Test
    void largeRowsSumAccurately() {
        Tensor x = Tensor.full(0.1f, 64, 4099);
        float[] s = x.sum(1, false).toFloatArray();
        for (float v : s) assertThat((double) v).isCloseTo(409.9, org.assertj.core.data.Offset.offset(1e-2));
    }
}
