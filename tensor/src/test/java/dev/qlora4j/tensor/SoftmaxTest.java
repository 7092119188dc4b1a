package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SoftmaxTest {
    private final Generator g = new Generator(9);
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void softmaxOverLastAndOtherDims() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 37)}, t -> t[0].softmax(-1),
                x -> Ref.of(x[0], 3, 37).softmaxLast().v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 37)}, t -> t[0].softmax(1),
                x -> Ref.of(x[0], 3, 37).softmaxLast().v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 3, 2)}, t -> t[0].softmax(1),
                x -> Ref.of(x[0], 4, 3, 2).transpose(1, 2).softmaxLast().transpose(1, 2).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 5, 2, 3)}, t -> t[0].softmax(0),
                x -> Ref.of(x[0], 5, 2, 3).transpose(0, 2).softmaxLast().transpose(0, 2).v());
    }

    @Test
    void logSoftmaxOverLastAndOtherDims() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 37)}, t -> t[0].logSoftmax(-1),
                x -> Ref.of(x[0], 3, 37).softmaxLast().map(Math::log).v());
        GradCheck.check(new Tensor[]{GradCheck.spaced(g, 2, 5)}, t -> t[0].logSoftmax(1),
                x -> Ref.of(x[0], 2, 5).softmaxLast().map(Math::log).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 5, 2)}, t -> t[0].logSoftmax(0),
                x -> Ref.of(x[0], 5, 2).transpose(0, 1).softmaxLast().map(Math::log).transpose(0, 1).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 4, 3)}, t -> t[0].logSoftmax(-2),
                x -> Ref.of(x[0], 2, 4, 3).transpose(1, 2).softmaxLast().map(Math::log).transpose(1, 2).v());
    }

    /** Sets the entries of a leaf where mask is true to −∞ (in place, not recorded). */
    private static Tensor withNegInf(Tensor leaf, boolean[] mask) {
        int n = leaf.size(-1);
        for (int i = 0; i < mask.length; i++) if (mask[i]) leaf.set(NEG_INF, i / n, i % n);
        return leaf;
    }

    @Test
    void rowsWithMinusInfinity() {
        // row 0 partly masked, row 1 fully masked, row 2 with one survivor
        boolean[] mask = new boolean[3 * 6];
        mask[1] = mask[4] = true;
        for (int j = 0; j < 6; j++) mask[6 + j] = true;
        for (int j = 0; j < 5; j++) mask[12 + j] = true;
        for (boolean strided : new boolean[]{false, true}) {
            Tensor x = withNegInf(strided ? GradCheck.strided(g, 3, 6) : GradCheck.param(g, 3, 6), mask);
            GradCheck.check(new Tensor[]{x}, t -> t[0].softmax(-1), in -> Ref.of(in[0], 3, 6).softmaxLast().v());
            float[] y = x.softmax(-1).toFloatArray();
            for (int j = 0; j < 6; j++) assertThat(y[6 + j]).isZero();
            assertThat(y[17]).isEqualTo(1f);
            assertThat(y[1]).isZero();
            for (float v : x.grad().toFloatArray()) assertThat(Float.isNaN(v)).isFalse();
        }
        // the same through a non-last dim
        Tensor xt = withNegInf(GradCheck.param(g, 3, 6), mask);
        GradCheck.check(new Tensor[]{xt}, t -> t[0].t().softmax(0).t(), in -> Ref.of(in[0], 3, 6).softmaxLast().v());
    }

    @Test
    void logSoftmaxWithMinusInfinity() {
        Tensor x = Tensor.of(new float[]{0f, NEG_INF, 1f, NEG_INF, 2f, NEG_INF}, 2, 3).requiresGrad(true);
        Tensor y = x.logSoftmax(-1);
        float[] yv = y.toFloatArray();
        double lse = Math.log(1 + Math.E);
        assertThat((double) yv[0]).isCloseTo(-lse, org.assertj.core.data.Offset.offset(1e-6));
        assertThat((double) yv[2]).isCloseTo(1 - lse, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(yv[1]).isEqualTo(NEG_INF);
        assertThat(yv[3]).isEqualTo(NEG_INF);
        assertThat(yv[4]).isZero();
        // dx = g − softmax·Σg; a masked entry has softmax 0, so its gradient is its own g (as in torch)
        y.backward(Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
        float[] gx = x.grad().toFloatArray();
        double p0 = 1 / (1 + Math.E);
        assertThat((double) gx[0]).isCloseTo(1 - p0 * 6, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(gx[1]).isEqualTo(2f);
        assertThat((double) gx[2]).isCloseTo(3 - (1 - p0) * 6, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(gx[3]).isEqualTo(4f);
        assertThat((double) gx[4]).isCloseTo(5 - 15, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(gx[5]).isEqualTo(6f);
    }

    @Test
    void stableForLargeLogits() {
        Tensor x = Tensor.of(new float[]{1000f, 1000f, NEG_INF, NEG_INF, NEG_INF, NEG_INF}, 2, 3);
        assertThat(x.softmax(-1).toFloatArray()).containsExactly(0.5f, 0.5f, 0f, 0f, 0f, 0f);
        float[] ls = x.logSoftmax(-1).toFloatArray();
        assertThat(ls[0]).isEqualTo((float) -Math.log(2));
        assertThat(ls[2]).isEqualTo(NEG_INF);
        assertThat((double) Tensor.vector(-1000f, -1001f).logSoftmax(0).get(0))
                .isCloseTo(-Math.log1p(Math.exp(-1)), org.assertj.core.data.Offset.offset(1e-7));
        float[] big = Tensor.vector(88f, 89f, 90f).softmax(0).toFloatArray();
        assertThat(big[0] + big[1] + big[2]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void largeInputsTakeTheParallelPath() {
        Tensor x = Tensor.randn(g, 2f, 700, 67).requiresGrad(true);
        Tensor y = x.softmax(-1);
        Tensor w = Tensor.randn(g, 1f, 700, 67);
        y.mul(w).sum().backward();
        float[] xv = x.toFloatArray(), yv = y.toFloatArray(), wv = w.toFloatArray(), gv = x.grad().toFloatArray();
        for (int r = 0; r < 700; r += 37) {
            Ref row = Ref.of(GradCheck.toDouble(java.util.Arrays.copyOfRange(xv, r * 67, r * 67 + 67)), 67).softmaxLast();
            double dot = 0;
            for (int j = 0; j < 67; j++) dot += row.v()[j] * wv[r * 67 + j];
            for (int j = 0; j < 67; j++) {
                assertThat((double) yv[r * 67 + j]).isCloseTo(row.v()[j], org.assertj.core.data.Offset.offset(1e-6));
                assertThat((double) gv[r * 67 + j]).isCloseTo(row.v()[j] * (wv[r * 67 + j] - dot), org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }
}
