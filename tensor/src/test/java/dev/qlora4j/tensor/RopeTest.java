package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RopeTest {
    private final Generator g = new Generator(19);

    /**
     * Hugging Face's formula in double: x·cos(emb) + rotate_half(x)·sin(emb), emb = cat(freqs, freqs),
     * rotate_half(x) = cat(−x₂, x₁); the angle is the fp32 product position·inv_freq as in transformers.
     */
    static double[] reference(double[] x, int b, int h, int t, int d, int[] pos, boolean perBatch, float[] invFreq, double scaling) {
        double[] o = new double[x.length];
        int half = d / 2;
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int ti = 0; ti < t; ti++) {
                    int p = pos[perBatch ? bi * t + ti : ti], base = ((bi * h + hi) * t + ti) * d;
                    for (int i = 0; i < d; i++) {
                        float angle = (float) p * invFreq[i % half];
                        double rot = i < half ? -x[base + i + half] : x[base + i - half];
                        o[base + i] = (x[base + i] * (float) Math.cos(angle) + rot * (float) Math.sin(angle)) * scaling;
                    }
                }
        return o;
    }

    @Test
    void positionsPerSequence() {
        float[] invFreq = Rope.Table.defaultInvFreq(8, 10000);
        Rope.Table table = Rope.Table.create(invFreq, 32, 1f);
        int[] pos = {0, 5, 17};
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 3, 8)}, t -> Rope.apply(t[0], table, Tensor.ofInts(pos, 3)),
                x -> reference(x[0], 2, 3, 3, 8, pos, false, invFreq, 1));
        // head dim 40: a vector main loop plus a scalar tail in each half
        float[] f40 = Rope.Table.defaultInvFreq(40, 500000);
        Rope.Table t40 = Rope.Table.create(f40, 8, 1f);
        int[] p2 = {7, 3};
        GradCheck.check(new Tensor[]{GradCheck.param(g, 1, 2, 2, 40)}, t -> Rope.apply(t[0], t40, Tensor.ofInts(p2, 2).to(DType.I64)),
                x -> reference(x[0], 1, 2, 2, 40, p2, false, f40, 1));
    }

    @Test
    void positionsPerBatchRow() {
        float[] invFreq = Rope.Table.defaultInvFreq(8, 10000);
        Rope.Table table = Rope.Table.create(invFreq, 32, 1f);
        int[] perBatch = {0, 1, 2, 9, 10, 31};
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 2, 3, 8)}, t -> Rope.apply(t[0], table, Tensor.ofInts(perBatch, 2, 3)),
                x -> reference(x[0], 2, 2, 3, 8, perBatch, true, invFreq, 1));
        // q as the transpose of a [B, T, H, D] projection, positions as I64, a scaled table (e.g. YaRN's attention factor)
        Rope.Table scaled = Rope.Table.create(invFreq, 32, 1.25f);
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 2, 8)},
                t -> Rope.apply(t[0].transpose(1, 2), scaled, Tensor.ofInts(perBatch, 2, 3).to(DType.I64)),
                x -> reference(Ref.of(x[0], 2, 3, 2, 8).transpose(1, 2).v(), 2, 2, 3, 8, perBatch, true, invFreq, 1.25));
    }

    @Test
    void tableFollowsTheTransformersDefinition() {
        float[] f = Rope.Table.defaultInvFreq(8, 10000);
        assertThat(f).hasSize(4);
        assertThat(f[0]).isEqualTo(1f);
        for (int i = 0; i < 4; i++)
            assertThat((double) f[i]).isCloseTo(1 / Math.pow(10000, 2.0 * i / 8), org.assertj.core.data.Offset.offset(1e-7));
        Rope.Table table = Rope.Table.create(f, 3, 2f);
        assertThat(table.half()).isEqualTo(4);
        assertThat(table.maxPositions()).isEqualTo(3);
        assertThat(table.cos()[0]).isEqualTo(2f);                       // position 0: cos 1 · scaling
        assertThat(table.sin()[4 + 1]).isEqualTo((float) Math.sin(f[1]) * 2f);
        assertThat(table.cos()[2 * 4 + 3]).isEqualTo((float) Math.cos(2f * f[3]) * 2f);
        // position 0 is the identity, and each rotation keeps the length of every (x_i, x_{i+half}) pair
        Rope.Table unit = Rope.Table.create(f, 16, 1f);
        Tensor x = Tensor.randn(g, 1f, 1, 1, 2, 8);
        Tensor y = Rope.apply(x, unit, Tensor.ofInts(new int[]{0, 13}, 2));
        for (int i = 0; i < 8; i++) assertThat(y.get(0, 0, 0, i)).isEqualTo(x.get(0, 0, 0, i));
        for (int i = 0; i < 4; i++) {
            double before = Math.hypot(x.get(0, 0, 1, i), x.get(0, 0, 1, i + 4)), after = Math.hypot(y.get(0, 0, 1, i), y.get(0, 0, 1, i + 4));
            assertThat(after).isCloseTo(before, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void badInputsAreRejected() {
        Rope.Table table = Rope.Table.create(Rope.Table.defaultInvFreq(8, 10000), 32, 1f);
        assertThatThrownBy(() -> Rope.apply(Tensor.zeros(1, 1, 1, 8), table, Tensor.ofInts(new int[]{32}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position 32");
        assertThatThrownBy(() -> Rope.apply(Tensor.zeros(1, 1, 1, 8), table, Tensor.ofInts(new int[]{-1}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position -1");
        assertThatThrownBy(() -> Rope.apply(Tensor.zeros(1, 1, 1, 6), table, Tensor.ofInts(new int[]{0}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("head dim 8");
        assertThatThrownBy(() -> Rope.apply(Tensor.zeros(1, 1, 8), table, Tensor.ofInts(new int[]{0}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[B, H, T, D]");
        assertThatThrownBy(() -> Rope.apply(Tensor.zeros(2, 1, 3, 8), table, Tensor.ofInts(new int[]{0, 1}, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions");
        assertThatThrownBy(() -> Rope.apply(Tensor.zeros(2, 1, 3, 8), table, Tensor.ofInts(new int[]{0, 1, 2}, 1, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions");
    }
}
