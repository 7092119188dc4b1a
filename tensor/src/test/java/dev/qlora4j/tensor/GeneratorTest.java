package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class GeneratorTest {
    @Test
    void sameStreamAsSplittableRandom() {
        for (long seed : new long[]{0, 1, 42, -7, Long.MAX_VALUE}) {
            Generator g = new Generator(seed);
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < 2000; i++) {
                switch (i % 4) {
                    case 0 -> assertThat(g.nextLong()).isEqualTo(r.nextLong());
                    case 1 -> assertThat(g.nextDouble()).isEqualTo(r.nextDouble());
                    case 2 -> assertThat(g.nextInt(1000)).isEqualTo(r.nextInt(1000));
                    default -> assertThat(g.nextInt(1 << 12)).isEqualTo(r.nextInt(1 << 12));
                }
            }
            for (int bound : new int[]{1, 3, Integer.MAX_VALUE, (1 << 30) + 1})
                assertThat(g.nextInt(bound)).isEqualTo(r.nextInt(bound));
        }
    }

    @Test
    void restoreReplaysTheStreamIncludingTheSpareGaussian() {
        Generator g = new Generator(5);
        g.nextGaussian();   // leaves a spare
        Generator.State saved = g.state();
        double[] first = {g.nextGaussian(), g.nextGaussian(), g.nextFloat(), g.nextInt(17)};
        g.restore(saved);
        double[] again = {g.nextGaussian(), g.nextGaussian(), g.nextFloat(), g.nextInt(17)};
        assertThat(again).containsExactly(first);
    }
}
