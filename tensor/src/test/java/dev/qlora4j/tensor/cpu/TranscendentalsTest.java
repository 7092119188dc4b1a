package dev.qlora4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

class TranscendentalsTest {
    private static final int L = Transcendentals.S.length();

    private static float[] samples(float lo, float hi, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return x;
    }

    /** Vector lanes equal the scalar function bit for bit, and both are within maxUlp of the double reference. */
    private static void check(float[] x, UnaryOperator<FloatVector> vector, java.util.function.Function<Float, Float> scalar,
                              DoubleUnaryOperator reference, double maxUlp, String name) {
        float[] v = new float[x.length + L];
        for (int i = 0; i + L <= x.length; i += L) vector.apply(FloatVector.fromArray(Transcendentals.S, x, i)).intoArray(v, i);
        double worst = 0;
        for (int i = 0; i < x.length - x.length % L; i++) {
            float s = scalar.apply(x[i]);
            assertThat(Float.floatToRawIntBits(v[i])).as(name + " lane vs scalar at " + x[i]).isEqualTo(Float.floatToRawIntBits(s));
            double want = reference.applyAsDouble(x[i]);
            float wantF = (float) want;
            if (Float.isInfinite(wantF) || Math.abs(wantF) < Float.MIN_NORMAL) {
                // beyond the float range: ±∞; below the normal range: flushed to 0 (documented)
                assertThat(s).as(name + "(" + x[i] + ")").isEqualTo(Float.isInfinite(wantF) ? wantF : 0f * Math.signum(wantF));
                continue;
            }
            worst = Math.max(worst, Math.abs(s - want) / Math.ulp((float) want));
        }
        assertThat(worst).as(name + " worst error in ulp").isLessThanOrEqualTo(maxUlp);
    }

    @Test
    void expIsAccurateAndLaneConsistent() {
        check(samples(-87f, 88f, 200_000, 1), Transcendentals::exp, Transcendentals::exp, Math::exp, 1.5, "exp");
        check(samples(-2f, 2f, 100_000, 2), Transcendentals::exp, Transcendentals::exp, Math::exp, 1.5, "exp");
        check(new float[]{Float.NEGATIVE_INFINITY, -1000f, -88f, 0f, -0f, 89f, Float.POSITIVE_INFINITY, 1e-30f, -1e-30f, 88.7f, -87.3f,
                        -87.33654f, 88.72283f, 0.5f, -0.5f, 1f},
                Transcendentals::exp, Transcendentals::exp, Math::exp, 1.5, "exp edges");
        assertThat(Transcendentals.exp(Float.NaN)).isNaN();
    }

    @Test
    void logIsAccurateAndLaneConsistent() {
        check(samples(1e-30f, 1e30f, 100_000, 3), Transcendentals::log, Transcendentals::log, Math::log, 1.5, "log");
        check(samples(0.5f, 2f, 100_000, 4), Transcendentals::log, Transcendentals::log, Math::log, 2.0, "log near 1");
        assertThat(Transcendentals.log(0f)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Transcendentals.log(-1f)).isNaN();
        assertThat(Transcendentals.log(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Transcendentals.log(1f)).isEqualTo(0f);
    }

    @Test
    void tanhIsAccurateAndLaneConsistent() {
        check(samples(-12f, 12f, 200_000, 5), Transcendentals::tanh, Transcendentals::tanh, Math::tanh, 3, "tanh");
        check(samples(-0.6f, 0.6f, 100_000, 6), Transcendentals::tanh, Transcendentals::tanh, Math::tanh, 3, "tanh near 0");
        assertThat(Transcendentals.tanh(0f)).isEqualTo(0f);
        assertThat(Transcendentals.tanh(100f)).isEqualTo(1f);
        assertThat(Transcendentals.tanh(-100f)).isEqualTo(-1f);
        assertThat(Transcendentals.tanh(Float.NaN)).isNaN();
    }
}
