package dev.qlora4j.model.generate;

import dev.qlora4j.tensor.Generator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SamplerTest {
    @Test
    void greedyTakesTheFirstLargestLogit() {
        assertThat(Sampler.greedy().next(new float[]{1f, 3f, 2f, 3f})).isEqualTo(1);
        assertThat(Sampler.argmax(new float[]{1f, Float.NaN, 5f})).isEqualTo(1);   // torch.argmax: NaN is the maximum
    }

    @Test
    void drawsFollowTheSoftmax() {
        float[] logits = {(float) Math.log(0.1), (float) Math.log(0.2), (float) Math.log(0.3), (float) Math.log(0.4),
                Float.NEGATIVE_INFINITY};
        Sampler s = new Sampler(new SamplingParams(1.0, 0, 1.0), new Generator(7));
        int n = 200_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < n; i++) counts[s.next(logits)]++;
        double[] p = {0.1, 0.2, 0.3, 0.4};
        for (int i = 0; i < p.length; i++) {
            // 5 standard deviations of a binomial count
            double sd = Math.sqrt(n * p[i] * (1 - p[i]));
            assertThat((double) counts[i]).as("token " + i).isCloseTo(n * p[i], org.assertj.core.data.Offset.offset(5 * sd));
        }
        assertThat(counts[4]).as("a filtered token is never drawn").isZero();
    }

    @Test
    void drawMapsTheUniformOntoTheCumulativeMass() {
        float[] logits = {0f, 0f, Float.NEGATIVE_INFINITY, 0f, 0f};   // 0.25 each on 0, 1, 3, 4
        assertThat(Sampler.draw(logits, 0.0)).isEqualTo(0);
        assertThat(Sampler.draw(logits, 0.26)).isEqualTo(1);
        assertThat(Sampler.draw(logits, 0.5)).isEqualTo(3);
        assertThat(Sampler.draw(logits, 0.999999)).isEqualTo(4);
    }

    @Test
    void sameSeedSameDraws() {
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i);
        SamplingParams params = new SamplingParams(1.3, 20, 0.9);
        Sampler a = new Sampler(params, new Generator(11)), b = new Sampler(params, new Generator(11));
        for (int i = 0; i < 100; i++) assertThat(a.next(logits)).isEqualTo(b.next(logits));
    }
}
