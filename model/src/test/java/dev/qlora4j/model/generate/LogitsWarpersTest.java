package dev.qlora4j.model.generate;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The filters on hand-made logits. Expected sets follow transformers' definitions
 * (generation/logits_process.py): TopKLogitsWarper removes {@code scores < topk(scores, k)[-1]};
 * TopPLogitsWarper sorts ascending, removes where {@code cumsum(softmax) <= 1 - top_p} and never
 * the last (most likely) entry; the sampling path applies temperature, top-k, top-p in that order.
 */
class LogitsWarpersTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /** Logits whose softmax is exactly {@code probs} (up to rounding): log p. */
    private static float[] logOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < l.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    private static List<Integer> kept(float[] filtered) {
        List<Integer> k = new ArrayList<>();
        for (int i = 0; i < filtered.length; i++) if (filtered[i] != NEG_INF) k.add(i);
        return k;
    }

    @Test
    void temperatureDividesEveryLogit() {
        assertThat(LogitsWarpers.temperature(new float[]{2f, -4f, 0f}, 2.0)).containsExactly(1f, -2f, 0f);
        assertThat(LogitsWarpers.temperature(new float[]{1f}, 0.5)).containsExactly(2f);
    }

    @Test
    void topKKeepsTheKLargestAndEveryTieWithTheKth() {
        float[] l = {1f, 5f, 3f, 5f, 2f};
        assertThat(kept(LogitsWarpers.topK(l, 2))).containsExactly(1, 3);
        assertThat(kept(LogitsWarpers.topK(l, 3))).containsExactly(1, 2, 3);
        // the k-th largest of {1, 3, 3, 2} for k = 1 is 3: both 3s stay
        assertThat(kept(LogitsWarpers.topK(new float[]{1f, 3f, 3f, 2f}, 1))).containsExactly(1, 2);
        assertThat(kept(LogitsWarpers.topK(l, 10))).containsExactly(0, 1, 2, 3, 4);
        float[] filtered = LogitsWarpers.topK(l, 2);
        assertThat(filtered[1]).isEqualTo(5f);   // kept logits are unchanged
    }

    @Test
    void topPKeepsTheSmallestHeadReachingTheMass() {
        float[] l = logOf(0.1, 0.2, 0.3, 0.4);
        // ascending cumulative mass 0.1, 0.3, 0.6, 1.0
        assertThat(kept(LogitsWarpers.topP(l, 0.75))).containsExactly(1, 2, 3);   // removes cum ≤ 0.25
        assertThat(kept(LogitsWarpers.topP(l, 0.35))).containsExactly(3);         // removes cum ≤ 0.65
        assertThat(kept(LogitsWarpers.topP(l, 0.5))).containsExactly(2, 3);       // removes cum ≤ 0.5
        assertThat(kept(LogitsWarpers.topP(l, 0.01))).containsExactly(3);         // the top token always stays
        assertThat(kept(LogitsWarpers.topP(l, 1.0))).containsExactly(0, 1, 2, 3);
    }

    @Test
    void topPRemovesTiedTokensInIndexOrderAndIncludesTheBoundary() {
        float[] uniform = {0f, 0f, 0f, 0f};   // 0.25 each, exactly
        // cumulative 0.25, 0.5: with top_p 0.5 the limit 0.5 is reached exactly and "≤" removes it too
        assertThat(kept(LogitsWarpers.topP(uniform, 0.5))).containsExactly(2, 3);
        assertThat(kept(LogitsWarpers.topP(uniform, 0.6))).containsExactly(1, 2, 3);
    }

    @Test
    void topPIgnoresTokensAlreadyFiltered() {
        float[] l = {NEG_INF, (float) Math.log(0.5), NEG_INF, (float) Math.log(0.5)};
        assertThat(kept(LogitsWarpers.topP(l, 0.9))).containsExactly(1, 3);
    }

    @Test
    void temperatureComesBeforeTopP() {
        float[] l = logOf(0.1, 0.2, 0.3, 0.4);
        // T = 0.5 squares the ratios: 1:4:9:16 → cumulative 1/30, 5/30, 14/30, 1; top_p 0.75 removes cum ≤ 0.25
        assertThat(kept(LogitsWarpers.apply(new SamplingParams(0.5, 0, 0.75), l))).containsExactly(2, 3);
        assertThat(kept(LogitsWarpers.apply(new SamplingParams(1.0, 0, 0.75), l))).containsExactly(1, 2, 3);
    }

    @Test
    void topKComesBeforeTopP() {
        float[] l = logOf(0.1, 0.2, 0.3, 0.4);
        // top-k 2 leaves 0.3 : 0.4 → 3/7, 4/7; top_p 0.5 then removes cum ≤ 0.5, i.e. 3/7.
        // (top-p first would keep {2, 3} and top-k 2 would keep both.)
        assertThat(kept(LogitsWarpers.apply(new SamplingParams(1.0, 2, 0.5), l))).containsExactly(3);
    }

    @Test
    void applyLeavesTheInputAlone() {
        float[] l = {1f, 2f, 3f};
        float[] out = LogitsWarpers.apply(new SamplingParams(2.0, 1, 0.5), l);
        assertThat(l).containsExactly(1f, 2f, 3f);
        assertThat(out).containsExactly(NEG_INF, NEG_INF, 1.5f);
    }

    @Test
    void ascendingOrderIsStableAndTotal() {
        float[] v = {0f, -1f, NEG_INF, 2f, -0f, Float.POSITIVE_INFINITY, -1f};
        assertThat(LogitsWarpers.ascendingOrder(v)).containsExactly(2, 1, 6, 0, 4, 3, 5);
    }

    @Test
    void invalidParametersAreRefused() {
        assertThatThrownBy(() -> new SamplingParams(-1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SamplingParams(1, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SamplingParams(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1.5)).isInstanceOf(IllegalArgumentException.class);
    }
}
