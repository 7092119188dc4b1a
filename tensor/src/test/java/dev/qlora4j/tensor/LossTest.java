package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LossTest {
    private final Generator g = new Generator(14);

    private static double[] ceRef(double[] x, int[] tgt, int v, boolean mean) {
        double total = 0;
        int count = 0;
        for (int r = 0; r < tgt.length; r++) {
            if (tgt[r] == -100) continue;
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < v; j++) max = Math.max(max, x[r * v + j]);
            for (int j = 0; j < v; j++) s += Math.exp(x[r * v + j] - max);
            total += max + Math.log(s) - x[r * v + tgt[r]];
            count++;
        }
        return new double[]{mean ? total / count : total};
    }

    @Test
    void crossEntropyMeanAndSumWithIgnoredTargets() {
        int[] tgt = {2, -100, 0, 36, -100, 5};
        for (CrossEntropy.Reduction red : CrossEntropy.Reduction.values()) {
            GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 37)},
                    t -> CrossEntropy.apply(t[0], Tensor.ofInts(tgt, 2, 3), red),
                    x -> ceRef(x[0], tgt, 37, red == CrossEntropy.Reduction.MEAN));
        }
        GradCheck.check(new Tensor[]{GradCheck.param(g, 6, 37)},
                t -> CrossEntropy.apply(t[0], Tensor.ofInts(tgt, 6).to(DType.I64), CrossEntropy.Reduction.MEAN),
                x -> ceRef(x[0], tgt, 37, true));
    }

    @Test
    void crossEntropyEdgeCases() {
        Tensor logits = Tensor.randn(g, 1f, 3, 4);
        assertThat(CrossEntropy.apply(logits, Tensor.ofInts(new int[]{-100, -100, -100}, 3), CrossEntropy.Reduction.MEAN).item()).isNaN();
        assertThat(CrossEntropy.apply(logits, Tensor.ofInts(new int[]{-100, -100, -100}, 3), CrossEntropy.Reduction.SUM).item()).isZero();
        assertThatThrownBy(() -> CrossEntropy.apply(logits, Tensor.ofInts(new int[]{0, 4, 1}, 3), CrossEntropy.Reduction.MEAN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target 4");
        assertThatThrownBy(() -> CrossEntropy.apply(logits, Tensor.ofInts(new int[]{0, 1}, 2), CrossEntropy.Reduction.MEAN))
                .isInstanceOf(IllegalArgumentException.class);
        // huge logits stay finite and exact
        Tensor big = Tensor.of(new float[]{1000f, 1000f}, 1, 2);
        assertThat(CrossEntropy.apply(big, Tensor.ofInts(new int[]{0}, 1), CrossEntropy.Reduction.MEAN).item())
                .isEqualTo((float) Math.log(2));
    }

    @Test
    void dropoutIsSeededScaledAndMasksTheGradient() {
        Tensor x = Tensor.ones(100_000).requiresGrad(true);
        Tensor a = Dropout.apply(x, 0.3f, new Generator(7), true);
        Tensor b = Dropout.apply(x.detach(), 0.3f, new Generator(7), true);
        assertThat(a.toFloatArray()).containsExactly(b.toFloatArray());
        float[] y = a.toFloatArray();
        int zeros = 0;
        for (float v : y) {
            if (v == 0f) zeros++;
            else assertThat(v).isEqualTo(1f / 0.7f);
        }
        assertThat(zeros / 100_000.0).isBetween(0.29, 0.31);
        a.mul(Tensor.full(2f, 100_000)).sum().backward();
        float[] gr = x.grad().toFloatArray();
        for (int i = 0; i < y.length; i++) assertThat(gr[i]).isEqualTo(2f * y[i]);
        assertThat(Dropout.apply(x, 0.3f, new Generator(7), false)).isSameAs(x);
        assertThat(Dropout.apply(x, 0f, new Generator(7), true)).isSameAs(x);
        assertThat(Dropout.apply(x.detach(), 0.3f, new Generator(8), true).toFloatArray()).isNotEqualTo(y);
        assertThatThrownBy(() -> Dropout.apply(x, 1f, new Generator(1), true)).isInstanceOf(IllegalArgumentException.class);
    }
}
