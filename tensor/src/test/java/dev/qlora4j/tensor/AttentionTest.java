package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AttentionTest {
    private final Generator g = new Generator(13);

    private static double[] reference(double[] q, double[] k, double[] v, int b, int hq, int hkv, int t, int s, int d,
                                      Attention.Options o, int[] pad) {
        return reference(q, k, v, b, hq, hkv, t, s, d, d, o, pad);
    }

    /** Naive attention in double: q [B,Hq,T,D], k [B,Hkv,S,D], v [B,Hkv,S,Dv]. */
    private static double[] reference(double[] q, double[] k, double[] v, int b, int hq, int hkv, int t, int s, int d, int dv,
                                      Attention.Options o, int[] pad) {
        int group = hq / hkv, off = o.queryOffset() < 0 ? s - t : o.queryOffset();
        double[] out = new double[b * hq * t * dv];
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
                        for (int c = 0; c < dv; c++)
                            out[((bi * hq + h) * t + i) * dv + c] += p * v[((bi * hkv + kh) * s + j) * dv + c];
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
    void valueDimDiffersFromKeyDim() {
        Tensor q = GradCheck.param(g, 1, 2, 3, 4), k = GradCheck.strided(g, 1, 2, 5, 4), v = GradCheck.param(g, 1, 2, 5, 6);
        Attention.Options o = new Attention.Options(0.5f, false, 0, 0f, null, -1);
        GradCheck.check(new Tensor[]{q, k, v}, x -> Attention.sdpa(x[0], x[1], x[2], o),
                x -> reference(x[0], x[1], x[2], 1, 2, 2, 3, 5, 4, 6, o, null));
        assertThat(Attention.sdpa(q, k, v, o).shape()).containsExactly(1, 2, 3, 6);
    }

    @Test
    void transposedProjectionViews() {
        // q, k, v as [B, T, H, D] projections viewed as [B, H, T, D]
        int b = 2, hq = 4, hkv = 2, t = 3, d = 4;
        Tensor q = GradCheck.param(g, b, t, hq, d), k = GradCheck.param(g, b, t, hkv, d), v = GradCheck.strided(g, b, t, hkv, d);
        Attention.Options o = Attention.Options.causal(0.5f);
        GradCheck.check(new Tensor[]{q, k, v}, x -> Attention.sdpa(x[0].transpose(1, 2), x[1].transpose(1, 2), x[2].transpose(1, 2), o),
                x -> reference(Ref.of(x[0], b, t, hq, d).transpose(1, 2).v(), Ref.of(x[1], b, t, hkv, d).transpose(1, 2).v(),
                        Ref.of(x[2], b, t, hkv, d).transpose(1, 2).v(), b, hq, hkv, t, t, d, o, null));
    }

    @Test
    void groupedQueryHeadsWithEveryMask() {
        // Hq = 4 over Hkv = 2, causal + sliding window + soft-cap + right padding in row 1
        int[] pad = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
        check(2, 4, 2, 6, 6, 4, Attention.Options.causal(0.5f).withSlidingWindow(4).withSoftcap(3f), pad);
        // a sliding window without the causal mask sees a band around each query: j > i − window, future included
        check(1, 2, 1, 5, 5, 3, new Attention.Options(0.8f, false, 2, 0f, null, -1), null);
        // window of one: each query sees only its own key
        check(1, 1, 1, 4, 4, 3, Attention.Options.causal(1f).withSlidingWindow(1), null);
    }

    @Test
    void explicitQueryOffsets() {
        // offset 0 with fewer queries than keys: the queries are the first T positions (the tail keys are future)
        check(1, 2, 2, 2, 5, 3, Attention.Options.causal(0.7f).withQueryOffset(0), null);
        // one new token against a cache of 6 (decode step), with a sliding window of 3
        check(2, 2, 1, 1, 6, 4, Attention.Options.causal(0.5f).withSlidingWindow(3), null);
    }

    /**
     * Longer sequences than one query block: the blocks restrict their keys to those some row can
     * see (causal, sliding window, explicit offsets), which the short cases above never exercise.
     */
    @Test
    void queryBlocksLongerThanOne() {
        int t = Attention.QUERY_BLOCK * 2 + 7;
        int[] pad = new int[t];
        for (int j = 0; j < t; j++) pad[j] = j % 11 == 3 ? 0 : 1;
        check(1, 2, 1, t, t, 2, Attention.Options.causal(0.6f), null);
        check(1, 2, 1, t, t, 2, Attention.Options.causal(0.6f).withSlidingWindow(Attention.QUERY_BLOCK / 2 + 3), pad);
        check(1, 1, 1, t, t, 2, new Attention.Options(0.6f, false, 40, 2f, null, -1), null);
        // fewer queries than keys, causal from offset 10: the first block sees keys [0, 74)
        check(1, 1, 1, t - 20, t, 2, Attention.Options.causal(0.6f).withQueryOffset(10), null);
    }

    /** Without a graph only one block of probabilities is kept per task: the output must not change. */
    @Test
    void withoutAGraphTheOutputIsTheSame() {
        int t = Attention.QUERY_BLOCK + 21, s = t + 5;
        int[] pad = new int[2 * s];
        for (int j = 0; j < pad.length; j++) pad[j] = j % 7 == 2 ? 0 : 1;
        Tensor q = GradCheck.param(g, 2, 4, t, 8), k = GradCheck.param(g, 2, 2, s, 8), v = GradCheck.strided(g, 2, 2, s, 8);
        Attention.Options o = Attention.Options.causal(0.4f).withSoftcap(2.5f).withSlidingWindow(50).withPadding(Tensor.ofInts(pad, 2, s));
        float[] recorded = Attention.sdpa(q, k, v, o).toFloatArray();
        float[] plain;
        try (var ignored = Tensor.noGrad()) {
            plain = Attention.sdpa(q, k, v, o).toFloatArray();
        }
        assertThat(plain).containsExactly(recorded);
    }

    @Test
    void randomConfigurations() {
        Generator r = new Generator(45);
        for (int iter = 0; iter < 60; iter++) {
            int b = 1 + r.nextInt(2), hkv = 1 + r.nextInt(2), hq = hkv * (1 + r.nextInt(3));
            int s = 1 + r.nextInt(6), t = 1 + r.nextInt(s), d = 1 + r.nextInt(5), dv = 1 + r.nextInt(5);
            int window = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 0, off = r.nextInt(3) == 0 ? r.nextInt(s) : -1;
            float cap = r.nextInt(3) == 0 ? 0.5f + 3 * r.nextFloat() : 0f;
            int[] pad = null;
            if (r.nextInt(2) == 0) {
                pad = new int[b * s];
                for (int i = 0; i < pad.length; i++) pad[i] = r.nextInt(4) == 0 ? 0 : 1;
            }
            int[] padding = pad;
            Attention.Options o = new Attention.Options(0.3f + r.nextFloat(), r.nextInt(2) == 0, window, cap,
                    pad == null ? null : Tensor.ofInts(pad, b, s), off);
            Tensor[] in = {r.nextInt(2) == 0 ? GradCheck.param(r, b, hq, t, d) : GradCheck.strided(r, b, hq, t, d),
                    r.nextInt(2) == 0 ? GradCheck.param(r, b, hkv, s, d) : GradCheck.spaced(r, b, hkv, s, d),
                    r.nextInt(2) == 0 ? GradCheck.param(r, b, hkv, s, dv) : GradCheck.strided(r, b, hkv, s, dv)};
            try {
                GradCheck.check(in, x -> Attention.sdpa(x[0], x[1], x[2], o),
                        x -> reference(x[0], x[1], x[2], b, hq, hkv, t, s, d, dv, o, padding));
            } catch (AssertionError e) {
                throw new AssertionError(o + " b=" + b + " hq=" + hq + " hkv=" + hkv + " t=" + t + " s=" + s + " d=" + d + " dv=" + dv
                        + " padding=" + java.util.Arrays.toString(pad), e);
            }
        }
    }

    @Test
    void badShapesAreRejected() {
        Tensor q = Tensor.zeros(1, 3, 2, 4), k = Tensor.zeros(1, 2, 2, 4), v = Tensor.zeros(1, 2, 2, 4);
        assertThatThrownBy(() -> Attention.sdpa(q, k, v, Attention.Options.causal(1f)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 3, 2, 4]");
        Tensor q2 = Tensor.zeros(1, 2, 2, 4);
        assertThatThrownBy(() -> Attention.sdpa(q2, k, Tensor.zeros(1, 2, 3, 4), Attention.Options.causal(1f)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Attention.sdpa(q2, k, v, Attention.Options.causal(1f).withPadding(Tensor.ofInts(new int[3], 1, 3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("padding");
        assertThatThrownBy(() -> Attention.sdpa(Tensor.zeros(2, 2, 4), k, v, Attention.Options.causal(1f)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[B, H, T, D]");
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
        // nothing but padding
        Tensor out2 = Attention.sdpa(q, k, v, Attention.Options.causal(0.6f).withPadding(Tensor.ofInts(new int[8], 2, 4)));
        for (float x : out2.toFloatArray()) assertThat(x).isZero();
    }

    @Test
    void aBatchRowOfPaddingOnlyGivesZerosAndZeroGradients() {
        int[] pad = {1, 1, 0, 1, 0, 0, 0, 0};   // row 1 has no real token
        for (Attention.Options o : new Attention.Options[]{new Attention.Options(0.5f, false, 0, 0f, null, -1),
                Attention.Options.causal(0.5f).withSoftcap(2f)}) {
            check(2, 2, 1, 4, 4, 3, o, pad);
            Tensor q = GradCheck.param(g, 2, 2, 4, 3), k = GradCheck.param(g, 2, 1, 4, 3), v = GradCheck.param(g, 2, 1, 4, 3);
            Tensor out = Attention.sdpa(q, k, v, o.withPadding(Tensor.ofInts(pad, 2, 4)));
            assertThat(out.select(0, 1).toFloatArray()).containsOnly(0f);
            out.mul(Tensor.randn(g, 1f, 2, 2, 4, 3)).sum().backward();
            assertThat(q.grad().select(0, 1).toFloatArray()).containsOnly(0f);
            assertThat(k.grad().select(0, 1).toFloatArray()).containsOnly(0f);
            assertThat(v.grad().select(0, 1).toFloatArray()).containsOnly(0f);
            for (Tensor p : new Tensor[]{q, k, v})
                for (float x : p.grad().toFloatArray()) assertThat(Float.isFinite(x)).isTrue();
        }
    }
}
