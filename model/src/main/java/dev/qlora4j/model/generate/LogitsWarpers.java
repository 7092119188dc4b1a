package dev.qlora4j.model.generate;

import java.util.Arrays;

/**
 * The filters transformers applies to next-token logits before sampling, in its order:
 * temperature, then top-k, then top-p (TemperatureLogitsWarper, TopKLogitsWarper,
 * TopPLogitsWarper with min_tokens_to_keep = 1). A filtered token's logit becomes −∞. Each method
 * returns a new array.
 */
public final class LogitsWarpers {
    private LogitsWarpers() {}

    /** All filters {@code params} switches on, as transformers' sampling path applies them. */
    public static float[] apply(SamplingParams params, float[] logits) {
        float[] s = logits;
        // transformers skips the warpers that would change nothing: temperature 1, top_k 0, top_p 1
        if (params.temperature() != 1) s = temperature(s, params.temperature());
        if (params.topK() != 0) s = topK(s, params.topK());
        if (params.topP() < 1) s = topP(s, params.topP());
        return s == logits ? logits.clone() : s;
    }

    /** Logits divided by {@code t}, in float like torch's {@code scores / t} on an fp32 tensor. */
    public static float[] temperature(float[] logits, double t) {
        float divisor = (float) t;
        float[] out = new float[logits.length];
        for (int i = 0; i < out.length; i++) out[i] = logits[i] / divisor;
        return out;
    }

    /**
     * Keeps every token whose logit is not below the k-th largest one: ties with the k-th value
     * all survive, so more than k tokens can remain. k above the vocabulary keeps everything.
     */
    public static float[] topK(float[] logits, int k) {
        if (k < 1) throw new IllegalArgumentException("top_k must be positive, got " + k);
        if (k >= logits.length) return logits.clone();
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        float threshold = sorted[logits.length - k];
        float[] out = logits.clone();
        for (int i = 0; i < out.length; i++) if (out[i] < threshold) out[i] = Float.NEGATIVE_INFINITY;
        return out;
    }

    /**
     * Nucleus filtering: tokens sorted by increasing logit are removed while the probability mass
     * accumulated from the bottom, including the token, is at most 1 − p; the most likely token
     * always stays. Equal logits are ordered by index (a stable ascending sort), so among tied
     * tokens the lower ids are removed first.
     */
    public static float[] topP(float[] logits, double p) {
        if (!(p > 0 && p <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + p);
        int n = logits.length;
        int[] order = ascendingOrder(logits);
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double[] weight = new double[n];
        double total = 0;
        for (int j = 0; j < n; j++) {
            weight[j] = Math.exp(logits[order[j]] - max);
            total += weight[j];
        }
        float[] out = logits.clone();
        double cumulative = 0, limit = 1 - p;
        for (int j = 0; j < n - 1; j++) {
            cumulative += weight[j] / total;
            if (cumulative > limit) break;
            out[order[j]] = Float.NEGATIVE_INFINITY;
        }
        return out;
    }

    /** Indices by increasing value, ties by increasing index: a stable sort of packed (key, index) longs. */
    static int[] ascendingOrder(float[] values) {
        long[] keys = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            int bits = Float.floatToIntBits(values[i] == 0f ? 0f : values[i]);   // −0 ties with +0
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff);                  // signed-int order = float order
            keys[i] = ((long) sortable << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[values.length];
        for (int i = 0; i < order.length; i++) order[i] = (int) keys[i];
        return order;
    }
}
