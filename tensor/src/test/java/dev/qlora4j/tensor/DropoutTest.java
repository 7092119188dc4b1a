package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DropoutTest {
    @Test
    void sameSeedSameMask() {
        Tensor x = Tensor.randn(new Generator(1), 1f, 50, 40);
        float[] a = Dropout.apply(x, 0.3f, new Generator(7), true).toFloatArray();
        float[] b = Dropout.apply(x, 0.3f, new Generator(7), true).toFloatArray();
        float[] c = Dropout.apply(x, 0.3f, new Generator(8), true).toFloatArray();
        assertThat(a).containsExactly(b);
        assertThat(c).isNotEqualTo(a);
        // one generator advances: a second call draws a fresh mask
        Generator gen = new Generator(7);
        Dropout.apply(x, 0.3f, gen, true);
        assertThat(Dropout.apply(x, 0.3f, gen, true).toFloatArray()).isNotEqualTo(a);
    }

    @Test
    void dropsAboutPAndScalesSurvivors() {
        for (float p : new float[]{0.1f, 0.5f, 0.9f}) {
            int n = 200_000;
            Tensor x = Tensor.full(3f, n);
            float[] y = Dropout.apply(x, p, new Generator(11), true).toFloatArray();
            int zeros = 0;
            float keep = 3f * (1f / (1f - p));
            for (float v : y) {
                if (v == 0f) zeros++;
                else assertThat(v).isEqualTo(keep);
            }
            // binomial: standard deviation sqrt(p(1−p)/n) < 0.0012; allow five of them
            assertThat(zeros / (double) n).as("p = " + p).isCloseTo(p, org.assertj.core.data.Offset.offset(0.006));
        }
    }

    @Test
    void gradientIsMaskTimesScale() {
        Generator g = new Generator(2);
        Tensor x = GradCheck.strided(g, 30, 40);                      // non-contiguous input
        Tensor y = Dropout.apply(x, 0.25f, new Generator(5), true);
        Tensor w = Tensor.randn(g, 1f, 30, 40);
        y.mul(w).sum().backward();
        // the mask follows row-major element order, whatever the input layout
        float[] mask = Dropout.apply(Tensor.ones(30, 40), 0.25f, new Generator(5), true).toFloatArray();
        float[] xv = x.toFloatArray(), yv = y.toFloatArray(), wv = w.toFloatArray(), gv = x.grad().toFloatArray();
        for (int i = 0; i < mask.length; i++) {
            assertThat(mask[i]).isIn(0f, 1f / 0.75f);
            assertThat(yv[i]).isEqualTo(xv[i] * mask[i]);
            assertThat(gv[i]).isEqualTo(wv[i] * mask[i]);
        }
        assertThat(y.gradFn().name()).isEqualTo("dropout");
    }

    @Test
    void evalModeAndZeroProbabilityReturnTheInput() {
        Tensor x = Tensor.randn(new Generator(3), 1f, 10).requiresGrad(true);
        assertThat(Dropout.apply(x, 0.3f, new Generator(7), false)).isSameAs(x);
        assertThat(Dropout.apply(x, 0f, new Generator(7), true)).isSameAs(x);
        Generator untouched = new Generator(9);
        Dropout.apply(x, 0.5f, untouched, false);
        assertThat(untouched.nextLong()).isEqualTo(new Generator(9).nextLong());   // eval draws nothing
        assertThatThrownBy(() -> Dropout.apply(x, 1f, new Generator(1), true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> Dropout.apply(x, -0.1f, new Generator(1), true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void uniformDrawsStayBelowOne() {
        // draw 1,869,153 of seed 0 is a double just below 1 that rounds to 1f as a float
        Generator gen = new Generator(0);
        for (int i = 0; i < 1_869_153; i++) gen.nextDouble();
        assertThat(gen.nextFloat()).isLessThan(1f);
        Generator same = new Generator(0);
        for (int i = 0; i < 1_869_153; i++) same.nextDouble();
        float[] u = Tensor.uniform(same, 0.5f, 2.5f, 1).toFloatArray();
        assertThat(u[0]).isLessThan(2.5f).isGreaterThanOrEqualTo(0.5f);
    }
}
