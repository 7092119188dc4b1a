package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NormEmbeddingRopeTest {
    private final Generator g = new Generator(12);

    private static double[] rmsNormRef(double[] x, double[] w, int c, double eps, boolean onePlus) {
        double[] o = new double[x.length];
        for (int r = 0; r < x.length / c; r++) {
            double ms = 0;
            for (int i = 0; i < c; i++) ms += x[r * c + i] * x[r * c + i];
            double inv = 1 / Math.sqrt(ms / c + eps);
            for (int i = 0; i < c; i++) o[r * c + i] = x[r * c + i] * inv * (onePlus ? 1 + w[i] : w[i]);
        }
        return o;
    }

    @Test
    void rmsNormBothVariants() {
        for (boolean onePlus : new boolean[]{false, true}) {
            GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 37), GradCheck.param(g, 37)},
                    t -> RmsNorm.apply(t[0], t[1], 1e-6f, onePlus),
                    x -> rmsNormRef(x[0], x[1], 37, 1e-6, onePlus));
        }
        GradCheck.check(new Tensor[]{GradCheck.param(g, 5, 8), GradCheck.param(g, 8)},
                t -> RmsNorm.apply(t[0], t[1], 0.5f, false), x -> rmsNormRef(x[0], x[1], 8, 0.5, false));
        assertThatThrownBy(() -> RmsNorm.apply(Tensor.zeros(2, 4), Tensor.zeros(3), 1e-6f, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void embeddingScatterAddsRepeatedIds() {
        Tensor ids = Tensor.ofInts(new int[]{3, 0, 3, 1, 3, 4}, 2, 3);
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 5, 4)}, t -> Embedding.lookup(t[0], ids),
                x -> {
                    int[] idv = ids.toIntArray();
                    double[] o = new double[idv.length * 4];
                    for (int r = 0; r < idv.length; r++) System.arraycopy(x[0], idv[r] * 4, o, r * 4, 4);
                    return o;
                });
        Tensor w = Tensor.arange(10).reshape(5, 2);
        assertThat(Embedding.lookup(w, Tensor.vector(4f, 1f).to(DType.I64)).toFloatArray()).containsExactly(8, 9, 2, 3);
        assertThat(Embedding.lookup(w.to(DType.BF16), Tensor.ofInts(new int[]{2}, 1)).toFloatArray()).containsExactly(4, 5);
        assertThatThrownBy(() -> Embedding.lookup(w, Tensor.ofInts(new int[]{5}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 5");
    }

    private static double[] ropeRef(double[] x, int b, int h, int t, int d, int[] pos, boolean perBatch, float[] invFreq) {
        double[] o = new double[x.length];
        int half = d / 2;
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int ti = 0; ti < t; ti++) {
                    int p = pos[perBatch ? bi * t + ti : ti], base = ((bi * h + hi) * t + ti) * d;
                    for (int i = 0; i < d; i++) {
                        // HF: x·cos(emb) + rotate_half(x)·sin(emb), emb = cat(freqs, freqs)
                        double angle = (float) p * invFreq[i % half];
                        double rot = i < half ? -x[base + i + half] : x[base + i - half];
                        o[base + i] = x[base + i] * (float) Math.cos(angle) + rot * (float) Math.sin(angle);
                    }
                }
        return o;
    }

    @Test
    void ropeRotateHalf() {
        float[] invFreq = Rope.Table.defaultInvFreq(8, 10000);
        Rope.Table table = Rope.Table.create(invFreq, 32, 1f);
        int[] pos = {0, 5, 17};
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 3, 8)}, t -> Rope.apply(t[0], table, Tensor.ofInts(pos, 3)),
                x -> ropeRef(x[0], 2, 3, 3, 8, pos, false, invFreq));
        int[] perBatch = {0, 1, 2, 9, 10, 31};
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 2, 3, 8)}, t -> Rope.apply(t[0], table, Tensor.ofInts(perBatch, 2, 3)),
                x -> ropeRef(x[0], 2, 2, 3, 8, perBatch, true, invFreq));
        assertThat(invFreq[1]).isEqualTo((float) (1 / Math.pow(10000, 2.0 / 8)));
        assertThatThrownBy(() -> Rope.apply(Tensor.zeros(1, 1, 1, 8), table, Tensor.ofInts(new int[]{32}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position 32");
    }
}
