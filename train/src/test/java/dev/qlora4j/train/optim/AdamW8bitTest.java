package dev.qlora4j.train.optim;

import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.quant.DynamicMap;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AdamW8bitTest {
    @Test
    void unsignedDynamicMapIsBitsandbytesShape() {
        float[] u = DynamicMap.unsignedValues();
        assertThat(u).hasSize(256);
        assertThat(u[0]).isEqualTo(0f);
        assertThat(u[255]).isEqualTo(1f);
        for (int i = 1; i < 256; i++) assertThat(u[i]).isGreaterThan(u[i - 1]);
        // decade 10^-6 has 2 values, each next decade twice as many: 2 + 4 + ... + 128 = 254
        int smallest = 0;
        for (float v : u) if (v > 0 && v < 1e-6f) smallest++;
        assertThat(smallest).isEqualTo(2);
        assertThat(DynamicMap.unsignedCode(0f)).isZero();
        assertThat(DynamicMap.unsignedCode(1f)).isEqualTo(255);
    }

    /** bitsandbytes' update in double: decay after the step, ε scaled by √(1−β₂ᵗ). */
    private static double[] reference(double[] w, double[][] grads, double lr, double b1, double b2, double eps, double wd) {
        double[] p = w.clone(), m = new double[w.length], v = new double[w.length];
        for (int t = 1; t <= grads.length; t++) {
            double c1 = 1 - Math.pow(b1, t), c2 = Math.sqrt(1 - Math.pow(b2, t));
            for (int i = 0; i < p.length; i++) {
                double g = grads[t - 1][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                p[i] += -lr * c2 / c1 * m[i] / (Math.sqrt(v[i]) + eps * c2);
                p[i] *= 1 - lr * wd;
            }
        }
        return p;
    }

    private static double[][] run(int n, int steps, int min8bit, long seed, float[] out) {
        Generator gen = new Generator(seed);
        Tensor w = Tensor.randn(gen, 1f, n).requiresGrad(true);
        double[] w0 = new double[n];
        float[] init = w.toFloatArray();
        for (int i = 0; i < n; i++) w0[i] = init[i];
        double[][] grads = new double[steps][n];
        AdamW8bit opt = new AdamW8bit(List.of(w), 0.9f, 0.999f, 1e-8f, 0.01f, min8bit);
        for (int t = 0; t < steps; t++) {
            Tensor g = Tensor.randn(gen, 0.1f, n);
            float[] ga = g.toFloatArray();
            for (int i = 0; i < n; i++) grads[t][i] = ga[i];
            w.setGrad(g);
            opt.step(1e-2f);
        }
        System.arraycopy(w.toFloatArray(), 0, out, 0, n);
        return new double[][]{w0, reference(w0, grads, 1e-2, 0.9, 0.999, 1e-8, 0.01)};
    }

    @Test
    void smallTensorsKeepFp32MomentsAndFollowTheKernelFormula() {
        int n = 1000;
        float[] got = new float[n];
        double[] want = run(n, 5, AdamW8bit.MIN_8BIT_SIZE, 3, got)[1];
        for (int i = 0; i < n; i++) assertThat((double) got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void eightBitMomentsStayCloseToTheFp32Update() {
        int n = 3 * AdamW8bit.BLOCK * 7 + 13;   // several blocks and a ragged last one
        float[] got = new float[n];
        double[][] r = run(n, 20, 0, 5, got);
        double[] w0 = r[0], want = r[1];
        // each step moves a weight by about lr; the 8-bit moments change that move by a few percent
        double moved = 0, err = 0;
        for (int i = 0; i < n; i++) {
            moved += Math.abs(want[i] - w0[i]);
            err += Math.abs(got[i] - want[i]);
        }
        assertThat(err / moved).as("relative error of the 8-bit update").isLessThan(0.05).isGreaterThan(0);
    }

    @Test
    void stateTakesAboutTwoBytesPerParameter() {
        Tensor big = Tensor.zeros(1 << 16).requiresGrad(true), small = Tensor.zeros(100).requiresGrad(true);
        AdamW8bit opt = new AdamW8bit(List.of(big, small), 0.9f, 0.999f, 1e-8f, 0f);
        assertThat(opt.stateBytes()).isEqualTo(2L * (1 << 16) + 8L * ((1 << 16) / 256) + 8L * 100);
    }
}
