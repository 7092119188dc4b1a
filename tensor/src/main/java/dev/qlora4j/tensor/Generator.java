package dev.qlora4j.tensor;

/**
 * A seeded source of random numbers for initialisation and dropout. The stream is SplitMix64,
 * bit for bit the one {@link java.util.SplittableRandom} gives for the same seed (its algorithm
 * is specified), but with the state in plain fields so that it can be saved and restored:
 * gradient checkpointing replays dropout masks, and resumed training continues the stream.
 */
public final class Generator {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private long seed;
    private double spareGaussian = Double.NaN;

    public Generator(long seed) {
        this.seed = seed;
    }

    /** The whole state, for {@link #restore}. */
    public record State(long seed, double spareGaussian) {}

    public State state() {
        return new State(seed, spareGaussian);
    }

    public void restore(State state) {
        seed = state.seed();
        spareGaussian = state.spareGaussian();
    }

    public void reseed(long seed) {
        this.seed = seed;
        spareGaussian = Double.NaN;
    }

    private long nextSeed() {
        return seed += GOLDEN_GAMMA;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static int mix32(long z) {
        z = (z ^ (z >>> 33)) * 0x62a9d9ed799705f5L;
        return (int) (((z ^ (z >>> 28)) * 0xcb24d0a5c88c35b3L) >>> 32);
    }

    public long nextLong() {
        return mix64(nextSeed());
    }

    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1). */
    public float nextFloat() {
        // a double just below 1 rounds to 1f (about one draw in 2^25): keep the bound exclusive
        float f = (float) nextDouble();
        return f < 1f ? f : 0x1.fffffep-1f;   // the largest float below 1
    }

    /** Uniform in [0, bound), unbiased (SplittableRandom's rejection rule). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        int r = mix32(nextSeed());
        int m = bound - 1;
        if ((bound & m) == 0) return r & m;
        for (int u = r >>> 1; u + m - (r = u % bound) < 0; u = mix32(nextSeed()) >>> 1) ;
        return r;
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
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * m;
        return u * m;
    }
}
