package dev.qlora4j.train.data;

import dev.qlora4j.tensor.Generator;

/**
 * Permutations drawn from the run's seed, one independent stream per purpose and index (the
 * split, the fraction, each epoch's order), so that each is reproducible on its own: epoch 7's
 * order is the same whether the run got there from step 0 or from a checkpoint.
 */
public final class SeededOrder {
    private SeededOrder() {}

    /** The stream that holds out the validation split. */
    public static final long SPLIT = 1;
    /** The stream that picks the fraction of the training rows. */
    public static final long FRACTION = 2;
    /** The streams of the epoch orders (index = epoch). */
    public static final long EPOCH = 3;

    /** A seeded Fisher–Yates shuffle of 0..n−1. */
    public static int[] permutation(int n, long seed, long purpose, long index) {
        Generator g = new Generator(mix(mix(seed, purpose), index));
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = g.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** A seed for the pair (a, b): SplitMix64 outputs, so nearby inputs give unrelated streams. */
    private static long mix(long a, long b) {
        return new Generator(a ^ new Generator(b).nextLong()).nextLong();
    }
}
