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
        assertThatThrownBy(() -> Tensor.zeros(2, 3).indexSelect(0, Tensor.ofInts(new int[]{2}, 1)))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
