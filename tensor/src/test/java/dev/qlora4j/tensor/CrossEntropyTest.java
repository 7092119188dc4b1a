package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CrossEntropyTest {
    private final Generator g = new Generator(14);
    private static final CrossEntropy.Reduction MEAN = CrossEntropy.Reduction.MEAN, SUM = CrossEntropy.Reduction.SUM;

    /** torch.nn.functional.cross_entropy in double: −log softmax(x)[target], ignore_index −100. */
    static double[] reference(double[] x, int[] tgt, int v, boolean mean) {
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
    void meanAndSumOverBatchAndTimeWithIgnoredTargets() {
        int[] tgt = {2, -100, 0, 36, -100, 5};
        for (CrossEntropy.Reduction red : CrossEntropy.Reduction.values()) {
            // logits [B, T, V] (non-contiguous) with targets [B, T]
            GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 37)},
                    t -> CrossEntropy.apply(t[0], Tensor.ofInts(tgt, 2, 3), red),
                    x -> reference(x[0], tgt, 37, red == MEAN));
            GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 5)},
                    t -> CrossEntropy.apply(t[0], Tensor.ofInts(new int[]{4, 0, -100, 1, 1, 3}, 2, 3).to(DType.I64), red),
                    x -> reference(x[0], new int[]{4, 0, -100, 1, 1, 3}, 5, red == MEAN));
        }
        GradCheck.check(new Tensor[]{GradCheck.param(g, 6, 37)},
                t -> CrossEntropy.apply(t[0], Tensor.ofInts(tgt, 6).to(DType.I64), MEAN),
                x -> reference(x[0], tgt, 37, true));
        // logits made by a view (the transpose of [V, N]) and a loss scaled afterwards
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 3)},
                t -> CrossEntropy.apply(t[0].t(), Tensor.ofInts(new int[]{3, 0, 2}, 3), MEAN).mul(2.5f),
                x -> new double[]{2.5 * reference(Ref.of(x[0], 4, 3).transpose(0, 1).v(), new int[]{3, 0, 2}, 4, true)[0]});
    }

    @Test
    void meanIsOverTheTargetsThatAreNotIgnored() {
        Tensor logits = Tensor.of(new float[]{0, 0, 0, 0, 5, 5, 5, 5}, 2, 4).requiresGrad(true);
        Tensor loss = CrossEntropy.apply(logits, Tensor.ofInts(new int[]{1, -100}, 2), MEAN);
        assertThat((double) loss.item()).isCloseTo(Math.log(4), org.assertj.core.data.Offset.offset(1e-6));
        loss.backward();
        float[] gr = logits.grad().toFloatArray();
        assertThat(gr).containsExactly(0.25f, -0.75f, 0.25f, 0.25f, 0, 0, 0, 0);
        Tensor sum = CrossEntropy.apply(logits.detach(), Tensor.ofInts(new int[]{1, 2}, 2), SUM);
        assertThat((double) sum.item()).isCloseTo(2 * Math.log(4), org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void allIgnored() {
        Tensor logits = Tensor.randn(g, 1f, 3, 4).requiresGrad(true);
        Tensor ignored = Tensor.ofInts(new int[]{-100, -100, -100}, 3);
        Tensor mean = CrossEntropy.apply(logits, ignored, MEAN);
        assertThat(mean.item()).isNaN();                 // 0/0, as torch
        assertThat(CrossEntropy.apply(logits, ignored, SUM).item()).isZero();
        // no row contributes, so no gradient reaches the logits (and none is NaN)
        mean.backward();
        assertThat(logits.grad().toFloatArray()).containsOnly(0f);
    }

    @Test
    void badTargetsAreRejected() {
        Tensor logits = Tensor.randn(g, 1f, 3, 4);
        assertThatThrownBy(() -> CrossEntropy.apply(logits, Tensor.ofInts(new int[]{0, 4, 1}, 3), MEAN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target 4").hasMessageContaining("[0, 4)");
        assertThatThrownBy(() -> CrossEntropy.apply(logits, Tensor.ofInts(new int[]{0, -1, 1}, 3), MEAN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target -1");
        assertThatThrownBy(() -> CrossEntropy.apply(logits, Tensor.ofInts(new int[]{0, 1}, 2), MEAN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2]").hasMessageContaining("[3, 4]");
        assertThatThrownBy(() -> CrossEntropy.apply(logits, Tensor.vector(0f, 1f, 2f), MEAN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("integer");
    }

    @Test
    void largeLogitsStayExact() {
        Tensor big = Tensor.of(new float[]{1000f, 1000f}, 1, 2);
        assertThat(CrossEntropy.apply(big, Tensor.ofInts(new int[]{0}, 1), MEAN).item()).isEqualTo((float) Math.log(2));
        Tensor confident = Tensor.of(new float[]{-50f, 50f}, 1, 2).requiresGrad(true);
        Tensor loss = CrossEntropy.apply(confident, Tensor.ofInts(new int[]{1}, 1), MEAN);
        assertThat(loss.item()).isBetween(0f, 1e-30f);
        loss.backward();
        for (float v : confident.grad().toFloatArray()) assertThat(Float.isFinite(v)).isTrue();
    }

    @Test
    void manyRowsTakeTheParallelPath() {
        int n = 700, v = 50;
        Tensor logits = Tensor.randn(g, 2f, n, v).requiresGrad(true);
        int[] tgt = new int[n];
        for (int i = 0; i < n; i++) tgt[i] = i % 7 == 0 ? -100 : g.nextInt(v);
        Tensor loss = CrossEntropy.apply(logits, Tensor.ofInts(tgt, n), MEAN);
        double[] x = GradCheck.toDouble(logits.toFloatArray());
        assertThat((double) loss.item()).isCloseTo(reference(x, tgt, v, true)[0], org.assertj.core.data.Offset.offset(1e-5));
        loss.backward();
        int count = n - (n + 6) / 7;
        double[] want = new double[n * v];
        for (int r = 0; r < n; r++) {
            if (tgt[r] == -100) continue;
            double[] p = Ref.of(java.util.Arrays.copyOfRange(x, r * v, r * v + v), v).softmaxLast().v();
            for (int j = 0; j < v; j++) want[r * v + j] = (p[j] - (j == tgt[r] ? 1 : 0)) / count;
        }
        GradCheck.assertClose("gradient", logits.grad().toFloatArray(), want, 1e-6);
    }
}
