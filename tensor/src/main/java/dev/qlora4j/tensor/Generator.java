package dev.qlora4j.tensor;

import java.util.SplittableRandom;

/**
 * A seeded source of random numbers for initialisation and dropout. The same seed gives the same
 * stream on every JVM ({@link SplittableRandom}'s algorithm is specified).
 */
public final class Generator {
    private SplittableRandom random;
    private double spareGaussian = Double.NaN;

    public Generator(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public void reseed(long seed) {
        random = new SplittableRandom(seed);
        spareGaussian = Double.NaN;
    }

    /** Uniform in [0, 1). */
    public float nextFloat() {
        // a double just below 1 rounds to 1f (about one draw in 2^25): keep the bound exclusive
        float f = (float) random.nextDouble();
        return f < 1f ? f : 0x1.fffffep-1f;   // the largest float below 1
    }

    public double nextDouble() {
        return random.nextDouble();
    }

    public long nextLong() {
        return random.nextLong();
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    /** Standard normal (Marsaglia polar method, two values per draw). */
    public double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) {
            double g = spareGaussian;
            spareGaussian = Double.NaN;
            return g;
        }
        double u, v, s;
        do {
            u = 2 * random.nextDouble() - 1;
            v = 2 * random.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * m;
        return u * m;
    }
}
