package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AttentionTest {
    private final Generator g = new Generator(13);

    /** Naive attention in double: q [B,Hq,T,D], k/v [B,Hkv,S,D]. */
    private static double[] reference(double[] q, double[] k, double[] v, int b, int hq, int hkv, int t, int s, int d,
                                      Attention.Options o, int[] pad) {
        int group = hq / hkv, off = o.queryOffset() < 0 ? s - t : o.queryOffset();
        double[] out = new double[b * hq * t * d];
        for (int bi = 0; bi < b; bi++)
            for (int h = 0; h < hq; h++) {
                int kh = h / group;
                for (int i = 0; i < t; i++) {
                    double[] score = new double[s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < s; j++) {
                        double dot = 0;
                        for (int c = 0; c < d; c++)
                            dot += q[((bi * hq + h) * t + i) * d + c] * k[((bi * hkv + kh) * s + j) * d + c];
                        dot *= o.scale();
                        if (o.softcap() > 0) dot = o.softcap() * Math.tanh(dot / o.softcap());
                        int qp = i + off;
                        boolean visible = (pad == null || pad[bi * s + j] != 0) && (!o.causal() || j <= qp)
                                && (o.slidingWindow() <= 0 || qp - j < o.slidingWindow());
                        score[j] = visible ? dot : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, score[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) continue;   // fully masked row: zeros
                    double sum = 0;
                    for (int j = 0; j < s; j++) sum += Math.exp(score[j] - max);
                    for (int j = 0; j < s; j++) {
                        double p = Math.exp(score[j] - max) / sum;
                        for (int c = 0; c < d; c++)
                            out[((bi * hq + h) * t + i) * d + c] += p * v[((bi * hkv + kh) * s + j) * d + c];
                    }
                }
            }
        return out;
    }

    private void check(int b, int hq, int hkv, int t, int s, int d, Attention.Options o, int[] pad) {
        Tensor q = GradCheck.strided(g, b, hq, t, d), k = GradCheck.param(g, b, hkv, s, d), v = GradCheck.strided(g, b, hkv, s, d);
        Attention.Options opts = pad == null ? o : o.withPadding(Tensor.ofInts(pad, b, s));
        GradCheck.check(new Tensor[]{q, k, v}, x -> Attention.sdpa(x[0], x[1], x[2], opts),
                x -> reference(x[0], x[1], x[2], b, hq, hkv, t, s, d, opts, pad));
    }

    @Test
    void causal() {
        check(2, 2, 2, 5, 5, 4, Attention.Options.causal(0.5f), null);
    }

    @Test
    void nonCausalWithGroupedQueryHeads() {
        check(1, 4, 2, 3, 6, 4, new Attention.Options(0.4f, false, 0, 0f, null, -1), null);
    }

    @Test
    void slidingWindowAndSoftcap() {
        check(1, 2, 1, 7, 7, 4, Attention.Options.causal(1f).withSlidingWindow(3).withSoftcap(2f), null);
    }

    @Test
    void keyPaddingAndKvCacheOffset() {
        // right padding in row 1; 2 new queries against 5 keys (queries sit at positions 3 and 4)
        check(2, 2, 1, 2, 5, 3, Attention.Options.causal(0.7f), new int[]{1, 1, 1, 1, 1, 1, 1, 1, 0, 0});
        check(1, 2, 2, 2, 5, 3, Attention.Options.causal(0.7f).withQueryOffset(1), null);
    }

    @Test
    void fullyMaskedRowsGiveZerosNotNaN() {
        // left padding: under the causal mask, the first query of row 0 sees only padding
        int[] pad = {0, 0, 1, 1, 1, 1, 1, 1};
        check(2, 2, 2, 4, 4, 3, Attention.Options.causal(0.6f), pad);
        Tensor q = GradCheck.param(g, 2, 1, 4, 3), k = GradCheck.param(g, 2, 1, 4, 3), v = GradCheck.param(g, 2, 1, 4, 3);
        Tensor out = Attention.sdpa(q, k, v, Attention.Options.causal(0.6f).withPadding(Tensor.ofInts(pad, 2, 4)));
        assertThat(out.select(0, 0).select(0, 0).select(0, 0).toFloatArray()).containsExactly(0f, 0f, 0f);
        assertThat(out.select(0, 0).select(0, 0).select(0, 1).toFloatArray()).containsExactly(0f, 0f, 0f);
        out.sum().backward();
        for (Tensor p : new Tensor[]{q, k, v})
            for (float x : p.grad().toFloatArray()) assertThat(Float.isNaN(x)).isFalse();
        // a whole row of padding
        Tensor out2 = Attention.sdpa(q, k, v, Attention.Options.causal(0.6f).withPadding(Tensor.ofInts(new int[8], 2, 4)));
        for (float x : out2.toFloatArray()) assertThat(x).isZero();
    }
}
