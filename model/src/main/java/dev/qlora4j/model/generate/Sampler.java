package dev.qlora4j.model.generate;

import dev.qlora4j.tensor.Generator;

/**
 * Picks each next token: the argmax for greedy decoding, otherwise a draw from the softmax of
 * the warped logits ({@link LogitsWarpers}) with a seeded {@link Generator}, so the same seed
 * gives the same tokens. (transformers draws with torch.multinomial; its random stream cannot
 * be reproduced, only the distribution.)
 */
public final class Sampler {
    private final SamplingParams params;
    private final Generator rng;

    public Sampler(SamplingParams params, Generator rng) {
        this.params = params;
        this.rng = rng;
    }

    public static Sampler greedy() {
        return new Sampler(SamplingParams.GREEDY, new Generator(0));
    }

    public SamplingParams params() {
        return params;
    }

    /** The next token id for the logits of the last position. */
    public int next(float[] logits) {
        if (params.isGreedy()) return argmax(logits);
        return draw(LogitsWarpers.apply(params, logits), rng.nextDouble());
    }

    /** The first index of the largest value, NaN counting as largest (torch.argmax's rule). */
    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best] || Float.isNaN(v[i]) && !Float.isNaN(v[best])) best = i;
        }
        return best;
    }

    /** Inverse-CDF draw from softmax(logits) with a uniform {@code u} in [0, 1); −∞ logits are never drawn. */
    static int draw(float[] logits, double u) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double[] weight = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            weight[i] = Math.exp(logits[i] - max);
            total += weight[i];
        }
        double target = u * total, cumulative = 0;
        int last = -1;
        for (int i = 0; i < logits.length; i++) {
            if (weight[i] == 0) continue;
            cumulative += weight[i];
            last = i;
            if (cumulative > target) return i;
        }
        return last < 0 ? argmax(logits) : last;   // rounding left u·total at the very end
    }
}
