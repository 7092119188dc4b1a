package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JoinsTest {
    private final Generator g = new Generator(15);

    @Test
    void concatAlongEachDim() {
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3), GradCheck.strided(g, 1, 3), GradCheck.param(g, 4, 3)},
                t -> Tensor.concat(0, List.of(t[0], t[1], t[2])).square(),
                x -> {
                    double[] o = new double[21];
                    System.arraycopy(x[0], 0, o, 0, 6);
                    System.arraycopy(x[1], 0, o, 6, 3);
                    System.arraycopy(x[2], 0, o, 9, 12);
                    return Ref.of(o, 7, 3).map(v -> v * v).v();
                });
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3), GradCheck.param(g, 2, 2)},
                t -> Tensor.concat(-1, List.of(t[0], t[1])),
                x -> new double[]{x[0][0], x[0][1], x[0][2], x[1][0], x[1][1], x[0][3], x[0][4], x[0][5], x[1][2], x[1][3]});
        assertThatThrownBy(() -> Tensor.concat(0, List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 4))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concatOfThreeDimensionalParts() {
        // dim 1 of [2, n, 3] parts: one contiguous, one non-contiguous, one spaced
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 1, 3), GradCheck.strided(g, 2, 2, 3), GradCheck.spaced(g, 2, 3, 3)},
                t -> Tensor.concat(1, List.of(t[0], t[1], t[2])),
                x -> {
                    Ref a = Ref.of(x[0], 2, 1, 3), b = Ref.of(x[1], 2, 2, 3), c = Ref.of(x[2], 2, 3, 3);
                    double[] o = new double[2 * 6 * 3];
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 6; j++)
                            for (int k = 0; k < 3; k++)
                                o[(i * 6 + j) * 3 + k] = j < 1 ? a.at(i, j, k) : j < 3 ? b.at(i, j - 1, k) : c.at(i, j - 3, k);
                    return o;
                });
        // the same tensor twice, and a part that needs no gradient
        Tensor fixed = Tensor.arange(4).reshape(2, 2);
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 2)}, t -> Tensor.concat(-1, List.of(t[0], fixed, t[0])),
                x -> new double[]{x[0][0], x[0][1], 0, 1, x[0][0], x[0][1], x[0][2], x[0][3], 2, 3, x[0][2], x[0][3]});
        Tensor mixed = Tensor.concat(0, List.of(Tensor.vector(1f), Tensor.vector(2f).to(DType.BF16)));
        assertThat(mixed.dtype()).isEqualTo(DType.F32);
        assertThat(Tensor.concat(0, List.of(Tensor.ofInts(new int[]{1}, 1), Tensor.ofInts(new int[]{2}, 1))).dtype()).isEqualTo(DType.I32);
        assertThatThrownBy(() -> Tensor.concat(0, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.concat(0, List.of(Tensor.zeros(2, 3), Tensor.zeros(3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ranks");
        assertThatThrownBy(() -> Tensor.concat(1, List.of(Tensor.zeros(2, 3), Tensor.zeros(3, 3))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]").hasMessageContaining("[3, 3]");
    }

    @Test
    void stackAtFirstAndLastDim() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3), GradCheck.param(g, 2, 3), GradCheck.spaced(g, 2, 3)},
                t -> Tensor.stack(0, List.of(t[0], t[1], t[2])),
                x -> {
                    double[] o = new double[18];
                    for (int p = 0; p < 3; p++) System.arraycopy(x[p], 0, o, p * 6, 6);
                    return o;
                });
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3), GradCheck.strided(g, 2, 3)},
                t -> Tensor.stack(-1, List.of(t[0], t[1])),
                x -> {
                    double[] o = new double[12];
                    for (int i = 0; i < 6; i++) {
                        o[2 * i] = x[0][i];
                        o[2 * i + 1] = x[1][i];
                    }
                    return o;
                });
        assertThat(Tensor.stack(2, List.of(Tensor.zeros(2, 3), Tensor.zeros(2, 3))).shape()).containsExactly(2, 3, 2);
        assertThatThrownBy(() -> Tensor.stack(0, List.of(Tensor.zeros(2, 3), Tensor.zeros(3, 2))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stackAddsADimension() {
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3), GradCheck.strided(g, 2, 3)},
                t -> Tensor.stack(1, List.of(t[0], t[1])),
                x -> {
                    double[] o = new double[12];
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 3; j++) {
                            o[(i * 2) * 3 + j] = x[0][i * 3 + j];
                            o[(i * 2 + 1) * 3 + j] = x[1][i * 3 + j];
                        }
                    return o;
                });
    }

    @Test
    void splitAlongTheLastDimWithGradientsThroughEveryPart() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 6)}, t -> {
                    List<Tensor> p = t[0].split(-1, 2, 3, 1);
                    return p.get(0).sum(1, true).mul(p.get(1)).add(p.get(2).square());
                },
                in -> {
                    double[] o = new double[9];
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++) {
                            double[] r = java.util.Arrays.copyOfRange(in[0], i * 6, i * 6 + 6);
                            o[i * 3 + j] = (r[0] + r[1]) * r[2 + j] + r[5] * r[5];
                        }
                    return o;
                });
        List<Tensor> parts = Tensor.zeros(2, 5).split(1, 0, 5);
        assertThat(parts.get(0).shape()).containsExactly(2, 0);
        assertThat(parts.get(1).shape()).containsExactly(2, 5);
    }

    @Test
    void splitGivesViews() {
        Tensor x = Tensor.arange(10).reshape(5, 2);
        List<Tensor> parts = x.split(0, 2, 3);
        assertThat(parts.get(1).shape()).containsExactly(3, 2);
        assertThat(parts.get(1).toFloatArray()).containsExactly(4, 5, 6, 7, 8, 9);
        parts.get(0).set(-1f, 1, 1);
        assertThat(x.get(1, 1)).isEqualTo(-1f);
        assertThatThrownBy(() -> x.split(0, 2, 2)).isInstanceOf(IllegalArgumentException.class);
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 3)}, t -> {
                    List<Tensor> p = t[0].split(1, 1, 2);
                    return p.get(0).mul(p.get(1).sum(1, true));
                },
                in -> {
                    double[] o = new double[4];
                    for (int i = 0; i < 4; i++) o[i] = in[0][i * 3] * (in[0][i * 3 + 1] + in[0][i * 3 + 2]);
                    return o;
                });
    }

    @Test
    void indexSelectWithRepeatedIndices() {
        Tensor idx = Tensor.ofInts(new int[]{2, 0, 2, 2}, 4);
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 2)}, t -> t[0].indexSelect(0, idx),
                x -> new double[]{x[0][4], x[0][5], x[0][0], x[0][1], x[0][4], x[0][5], x[0][4], x[0][5]});
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3)}, t -> t[0].indexSelect(1, Tensor.ofInts(new int[]{1, 1}, 2)),
                x -> new double[]{x[0][1], x[0][1], x[0][4], x[0][4]});
        // dim 1 of a non-contiguous 3-D tensor, I64 indices, every index repeated or skipped
        Tensor idx64 = Tensor.ofInts(new int[]{3, 3, 0, 3, 1}, 5).to(DType.I64);
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 4, 3)}, t -> t[0].indexSelect(1, idx64).square(),
                x -> {
                    Ref r = Ref.of(x[0], 2, 4, 3);
                    int[] sel = {3, 3, 0, 3, 1};
                    double[] o = new double[2 * 5 * 3];
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 5; j++)
                            for (int k = 0; k < 3; k++) o[(i * 5 + j) * 3 + k] = r.at(i, sel[j], k) * r.at(i, sel[j], k);
                    return o;
                });
        Tensor w = Tensor.zeros(3, 2).requiresGrad(true);
        w.indexSelect(0, idx).sum().backward();
        assertThat(w.grad().toFloatArray()).containsExactly(1, 1, 0, 0, 3, 3);
        assertThat(Tensor.arange(6).reshape(3, 2).to(DType.I64).indexSelect(0, idx).toLongArray()).containsExactly(4, 5, 0, 1, 4, 5, 4, 5);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).indexSelect(0, Tensor.ofInts(new int[]{2}, 1)))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("index 2");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).indexSelect(0, Tensor.ofInts(new int[]{-1}, 1)))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).indexSelect(0, Tensor.vector(1f)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("integer");
    }
}
