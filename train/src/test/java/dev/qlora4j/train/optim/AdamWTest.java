package dev.qlora4j.train.optim;

import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AdamWTest {
    /** torch.optim.AdamW's update, step by step, in double. */
    private static double[] reference(double[] p, double[][] grads, double lr, double b1, double b2, double eps, double wd) {
        double[] w = p.clone(), m = new double[p.length], v = new double[p.length];
        for (int t = 1; t <= grads.length; t++) {
            double[] g = grads[t - 1];
            for (int j = 0; j < w.length; j++) {
                w[j] *= 1 - lr * wd;
                m[j] = b1 * m[j] + (1 - b1) * g[j];
                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
                double mHat = m[j] / (1 - Math.pow(b1, t)), vHat = v[j] / (1 - Math.pow(b2, t));
                w[j] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        return w;
    }

    @Test
    void matchesTorchUpdateOverSeveralSteps() {
        float[] init = {0.5f, -1.25f, 2f, 0f, 1e-3f};
        Tensor p = Tensor.of(init.clone(), 5).requiresGrad(true);
        AdamW opt = new AdamW(List.of(p), 0.9f, 0.999f, 1e-8f, 0.01f);
        double[][] grads = {{0.1, -0.2, 0.3, 0, 5}, {-0.4, 0.1, 0.3, 1e-4, -5}, {0.2, 0.2, -0.1, 0, 0.5}};
        for (double[] g : grads) {
            float[] gf = new float[g.length];
            for (int i = 0; i < g.length; i++) gf[i] = (float) g[i];
            p.setGrad(Tensor.of(gf, 5));
            opt.step(1e-3f);
        }
        double[] init64 = new double[init.length];
        for (int i = 0; i < init.length; i++) init64[i] = init[i];
        double[] want = reference(init64, grads, 1e-3, 0.9, 0.999, 1e-8, 0.01);
        float[] got = p.toFloatArray();
        for (int i = 0; i < want.length; i++) assertThat((double) got[i]).as("param " + i).isCloseTo(want[i], within(1e-6));
        assertThat(opt.stepCount()).isEqualTo(3);
    }

    @Test
    void skipsParametersWithoutGradient() {
        Tensor p = Tensor.of(new float[]{1f, 2f}, 2).requiresGrad(true);
        new AdamW(List.of(p), 0.9f, 0.999f, 1e-8f, 0.1f).step(0.5f);
        assertThat(p.toFloatArray()).containsExactly(1f, 2f);
    }
}
