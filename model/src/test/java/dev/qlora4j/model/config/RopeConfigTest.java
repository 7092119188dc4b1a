package dev.qlora4j.model.config;

import dev.qlora4j.model.config.RopeConfig.RopeType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

/**
 * Expected values are transformers' formulas evaluated by hand in double precision; the code
 * computes in fp32 like torch, whose rounding of the exponent 2i/dim (relative 6e-8, times
 * ln(theta) ≈ 13) bounds the relative difference near 1e-6.
 */
class RopeConfigTest {
    private static final double REL_PERCENT = 2e-4; // 2e-6 relative

    private static RopeConfig llama3(double theta, int original) {
        return new RopeConfig(RopeType.LLAMA3, theta, 8.0, 1.0, 4.0, original, 1.0);
    }

    @Test
    void defaultIsOneOverThetaToTheTwoIOverDim() {
        float[] inv = RopeConfig.defaultRope(10_000).inverseFrequencies(8);
        // 10000^(-0/8), 10000^(-2/8), 10000^(-4/8), 10000^(-6/8)
        assertThat(inv).hasSize(4);
        assertThat((double) inv[0]).isEqualTo(1.0);
        assertThat((double) inv[1]).isCloseTo(0.1, withinPercentage(REL_PERCENT));
        assertThat((double) inv[2]).isCloseTo(0.01, withinPercentage(REL_PERCENT));
        assertThat((double) inv[3]).isCloseTo(0.001, withinPercentage(REL_PERCENT));
    }

    /**
     * Llama-3.1-8B: head_dim 128, theta 500000, factor 8, low 1, high 4, original 8192. Wavelength
     * thresholds are 8192/4 = 2048 and 8192/1 = 8192: indices 0..28 have wavelengths below 2048
     * (kept), 29..34 fall in between (smoothed), 35..63 lie above 8192 (divided by 8).
     */
    @Test
    void llama3ScalingKeepsHighDividesLowAndSmoothsTheBand() {
        RopeConfig rope = llama3(500_000, 8192);
        float[] inv = rope.inverseFrequencies(128);
        float[] base = RopeConfig.defaultRope(500_000).inverseFrequencies(128);
        assertThat(inv).hasSize(64);
        for (int i = 0; i <= 28; i++) assertThat(inv[i]).as("index %d", i).isEqualTo(base[i]);
        for (int i = 35; i < 64; i++) assertThat(inv[i]).as("index %d", i).isEqualTo(base[i] / 8f);
        for (int i = 29; i <= 34; i++)
            assertThat(inv[i]).as("index %d", i).isBetween(base[i] / 8f, base[i]);

        // i = 20: 500000^(-40/128) = 0.016560440; wavelength 2π/0.01656 = 379.4 < 2048: unchanged
        assertThat((double) inv[20]).isCloseTo(0.016560440080994446, withinPercentage(REL_PERCENT));
        // i = 30: inv = 500000^(-60/128) = 0.0021311195, wavelength 2948.30;
        // smooth = (8192/2948.30 − 1)/3 = 0.592850; (1 − smooth)·inv/8 + smooth·inv = 0.00137189357
        assertThat((double) inv[30]).isCloseTo(0.0013718935677611381, withinPercentage(REL_PERCENT));
        // i = 34: inv = 0.00093847387, wavelength 6695.11; smooth = 0.074540 → 0.000178507813
        assertThat((double) inv[34]).isCloseTo(0.00017850781276799638, withinPercentage(REL_PERCENT));
        // i = 63: 500000^(-126/128) / 8 = 2.4551408e-6 / 8
        assertThat((double) inv[63]).isCloseTo(3.068925988914511e-07, withinPercentage(REL_PERCENT));
    }

    /** The llama31-bf16-sharded fixture: head_dim 8, original 64 → thresholds 16 and 64, no band. */
    @Test
    void llama3WithTheFixtureParameters() {
        float[] inv = llama3(500_000, 64).inverseFrequencies(8);
        // base 1, 0.037606031, 0.0014142136, 5.3182959e-5 with wavelengths 6.28, 167, 4443, 118143
        assertThat((double) inv[0]).isEqualTo(1.0);
        assertThat((double) inv[1]).isCloseTo(0.03760603093086393 / 8, withinPercentage(REL_PERCENT));
        assertThat((double) inv[2]).isCloseTo(0.001414213562373095 / 8, withinPercentage(REL_PERCENT));
        assertThat((double) inv[3]).isCloseTo(5.318295896944989e-05 / 8, withinPercentage(REL_PERCENT));
    }

    @Test
    void linearDividesEveryFrequency() {
        float[] inv = new RopeConfig(RopeType.LINEAR, 10_000, 4.0, Double.NaN, Double.NaN, 0, 1.0).inverseFrequencies(8);
        assertThat((double) inv[0]).isEqualTo(0.25);
        assertThat((double) inv[1]).isCloseTo(0.025, withinPercentage(REL_PERCENT));
        assertThat((double) inv[3]).isCloseTo(0.00025, withinPercentage(REL_PERCENT));
    }

    @Test
    void dynamicGrowsTheBaseOnlyPastMaxPositions() {
        RopeConfig rope = new RopeConfig(RopeType.DYNAMIC, 10_000, 2.0, Double.NaN, Double.NaN, 0, 1.0);
        float[] plain = RopeConfig.defaultRope(10_000).inverseFrequencies(8);
        assertThat(rope.inverseFrequencies(8)).containsExactly(plain);
        assertThat(rope.inverseFrequencies(8, 100, 80)).containsExactly(plain);
        // seqLen 200 = 2·max: base = 10000·(2·200/100 − 1)^(8/6) = 10000·3^(4/3) = 43267.487
        float[] grown = rope.inverseFrequencies(8, 100, 200);
        assertThat((double) grown[1]).isCloseTo(0.06933612743506347, withinPercentage(REL_PERCENT));
        assertThat((double) grown[3]).isCloseTo(0.0003333333333333334, withinPercentage(REL_PERCENT));
    }

    @Test
    void partialRotaryFactorShortensTheTable() {
        RopeConfig rope = new RopeConfig(RopeType.DEFAULT, 10_000, 1, Double.NaN, Double.NaN, 0, 0.5);
        assertThat(rope.rotaryDim(16)).isEqualTo(8);
        float[] inv = rope.inverseFrequencies(16);
        assertThat(inv).hasSize(4);
        assertThat((double) inv[1]).isCloseTo(0.1, withinPercentage(REL_PERCENT));
    }

    @Test
    void summaries() {
        assertThat(RopeConfig.defaultRope(1e6).summary()).isEqualTo("default theta=1000000");
        assertThat(llama3(500_000, 8192).summary()).isEqualTo("llama3 theta=500000 factor=8 low=1 high=4 original_max=8192");
        assertThat(new RopeConfig(RopeType.LINEAR, 10_000, 2.5, Double.NaN, Double.NaN, 0, 1.0).summary())
                .isEqualTo("linear theta=10000 factor=2.5");
        assertThat(RopeConfig.defaultRope(1e6).attentionScaling()).isCloseTo(1f, within(0f));
    }
}
