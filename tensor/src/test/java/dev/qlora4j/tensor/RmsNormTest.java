package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RmsNormTest {
    private final Generator g = new Generator(12);

    /** x / sqrt(mean(x²) + eps) · w (or · (1 + w)) over rows of c, in double. */
    static double[] reference(double[] x, double[] w, int c, double eps, boolean onePlus) {
        double[] o = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double ms = 0;
            for (int i = 0; i < c; i++) ms += x[r * c + i] * x[r * c + i];
            double inv = 1 / Math.sqrt(ms / c + eps);
            for (int i = 0; i < c; i++) o[r * c + i] = x[r * c + i] * inv * (onePlus ? 1 + w[i] : w[i]);
        }
        return o;
    }

    @Test
    void llamaAndGemmaVariantsWithGradientsForXAndW() {
        for (boolean onePlus : new boolean[]{false, true}) {
            GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 37), GradCheck.param(g, 37)},
                    t -> RmsNorm.apply(t[0], t[1], 1e-6f, onePlus), x -> reference(x[0], x[1], 37, 1e-6, onePlus));
            GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 16), GradCheck.spaced(g, 16)},
                    t -> RmsNorm.apply(t[0], t[1], 1e-5f, onePlus), x -> reference(x[0], x[1], 16, 1e-5, onePlus));
        }
    }

    @Test
    void epsMattersForSmallRows() {
        // eps comparable to mean(x²): a wrong placement of eps (outside the sqrt, or added to x²) shows
        GradCheck.check(new Tensor[]{GradCheck.param(g, 5, 8), GradCheck.param(g, 8)},
                t -> RmsNorm.apply(t[0].mul(0.3f), t[1], 0.5f, false),
                x -> reference(Ref.of(x[0], 5, 8).map(v -> 0.3f * v).v(), x[1], 8, 0.5, false));
        GradCheck.check(new Tensor[]{GradCheck.param(g, 8), GradCheck.param(g, 8)},
                t -> RmsNorm.apply(t[0], t[1], 1f, true), x -> reference(x[0], x[1], 8, 1, true));
        // an all-zero row stays zero with finite gradients
        Tensor z = Tensor.zeros(2, 4).requiresGrad(true), w = Tensor.ones(4).requiresGrad(true);
        Tensor y = RmsNorm.apply(z, w, 1e-6f, false);
        assertThat(y.toFloatArray()).containsOnly(0f);
        y.sum().backward();
        assertThat(z.grad().toFloatArray()).containsOnly(1000f);   // 1/sqrt(eps)
        assertThat(w.grad().toFloatArray()).containsOnly(0f);
    }

    @Test
    void frozenBf16WeightGivesGradientForXOnly() {
        Tensor w = Tensor.randn(g, 0.5f, 12).to(DType.BF16);
        double[] wv = GradCheck.toDouble(w.toFloatArray());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 12)}, t -> RmsNorm.apply(t[0], w, 1e-6f, true),
                x -> reference(x[0], wv, 12, 1e-6, true));
        Tensor x = Tensor.randn(g, 1f, 3, 12);
        Tensor wp = Tensor.ones(12).requiresGrad(true);
        RmsNorm.apply(x, wp, 1e-6f, false).sum().backward();
        assertThat(wp.grad()).isNotNull();
        assertThat(x.grad()).isNull();
    }

    @Test
    void manyRowsSplitAcrossThreads() {
        int rows = 3001, c = 24;
        Tensor x = Tensor.randn(g, 1f, rows, c).requiresGrad(true), w = Tensor.randn(g, 1f, c).requiresGrad(true);
        Tensor gOut = Tensor.randn(g, 1f, rows, c);
        Tensor y = RmsNorm.apply(x, w, 1e-6f, false);
        y.backward(gOut);
        double[] xv = GradCheck.toDouble(x.toFloatArray()), wv = GradCheck.toDouble(w.toFloatArray());
        double[] gv = GradCheck.toDouble(gOut.toFloatArray());
        double[] want = reference(xv, wv, c, 1e-6, false), dw = new double[c];
        GradCheck.assertClose("forward", y.toFloatArray(), want, 1e-5);
        double[] dx = new double[xv.length];
        for (int r = 0; r < rows; r++) {
            double ms = 0, gwx = 0;
            for (int i = 0; i < c; i++) ms += xv[r * c + i] * xv[r * c + i];
            double rs = 1 / Math.sqrt(ms / c + 1e-6);
            for (int i = 0; i < c; i++) {
                dw[i] += gv[r * c + i] * xv[r * c + i] * rs;
                gwx += gv[r * c + i] * wv[i] * xv[r * c + i];
            }
            for (int i = 0; i < c; i++) dx[r * c + i] = rs * gv[r * c + i] * wv[i] - rs * rs * rs * xv[r * c + i] * gwx / c;
        }
        GradCheck.assertClose("grad w", w.grad().toFloatArray(), dw, GradCheck.TOLERANCE);
        GradCheck.assertClose("grad x", x.grad().toFloatArray(), dx, GradCheck.TOLERANCE);
    }

    @Test
    void weightMustMatchTheLastDimension() {
        assertThatThrownBy(() -> RmsNorm.apply(Tensor.zeros(2, 4), Tensor.zeros(3), 1e-6f, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[3]").hasMessageContaining("[2, 4]");
        assertThatThrownBy(() -> RmsNorm.apply(Tensor.zeros(2, 4), Tensor.zeros(1, 4), 1e-6f, false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
