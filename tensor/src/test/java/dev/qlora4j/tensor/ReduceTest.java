package dev.qlora4j.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReduceTest {
    private final Generator g = new Generator(8);

    static Stream<Arguments> dimSets() {
        int[][] dims = {{0}, {1}, {2}, {-1}, {0, 2}, {2, 0}, {-1, 1}, {0, 1}, {0, 1, 2}};
        return Stream.of(dims).flatMap(d -> Stream.of(
                Arguments.of(d, false, false), Arguments.of(d, true, false), Arguments.of(d, false, true), Arguments.of(d, true, true)));
    }

    @ParameterizedTest(name = "dims={0} keepDim={1} strided={2}")
    @MethodSource("dimSets")
    void sumAndMeanWithGradients(int[] dims, boolean keep, boolean strided) {
        int[] shape = {2, 3, 4};
        int count = 1;
        for (int d : dims) count *= shape[Shapes.dim(d, 3)];
        double n = count;
        Tensor x = strided ? GradCheck.strided(g, shape) : GradCheck.param(g, shape);
        GradCheck.check(new Tensor[]{x}, t -> t[0].sum(dims, keep), in -> Ref.of(in[0], shape).sum(dims, keep).v());
        GradCheck.check(new Tensor[]{x}, t -> t[0].mean(dims, keep), in -> Ref.of(in[0], shape).sum(dims, keep).map(v -> v / n).v());
        int[] want = Ref.of(new double[24], shape).sum(dims, keep).shape();
        assertThat(x.sum(dims, keep).shape()).isEqualTo(want);
    }

    @Test
    void singleDimOverloadsAndWholeTensor() {
        Tensor x = GradCheck.spaced(g, 4, 3);
        GradCheck.check(new Tensor[]{x}, t -> t[0].sum(1, true), in -> Ref.of(in[0], 4, 3).sum(new int[]{1}, true).v());
        GradCheck.check(new Tensor[]{x}, t -> t[0].mean(-2, false), in -> Ref.of(in[0], 4, 3).sum(new int[]{0}, false).map(v -> v / 4).v());
        GradCheck.check(new Tensor[]{x}, t -> t[0].sum(), in -> Ref.of(in[0], 12).sum(new int[]{0}, false).v());
        GradCheck.check(new Tensor[]{x}, t -> t[0].mean(), in -> Ref.of(in[0], 12).sum(new int[]{0}, false).map(v -> v / 12).v());
        assertThat(x.sum().shape()).isEmpty();
        assertThat(x.mean().rank()).isZero();
        // a broadcast (stride 0) input sums each stored value once per copy
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3)}, t -> t[0].expand(5, 3).sum(0, false).mul(t[0]),
                in -> new double[]{5 * in[0][0] * in[0][0], 5 * in[0][1] * in[0][1], 5 * in[0][2] * in[0][2]});
        // a 0-d tensor
        Tensor s = Tensor.scalar(2.5f).requiresGrad(true);
        s.sum().mul(s.mean()).backward();
        assertThat(s.grad().item()).isEqualTo(5f);
        assertThat(Tensor.full(3f, 4, 2).to(DType.BF16).sum(0, false).toFloatArray()).containsExactly(12f, 12f);
        assertThatThrownBy(() -> x.sum(2, false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimension 2");
    }

    @Test
    void maxGradientGoesToTheFirstMaximum() {
        for (int dim = -2; dim < 2; dim++)
            for (boolean keep : new boolean[]{false, true}) {
                int d = dim;
                GradCheck.check(new Tensor[]{GradCheck.strided(g, 4, 5)}, t -> t[0].max(d, keep),
                        x -> Ref.of(x[0], 4, 5).reduce(new int[]{d}, keep, Double.NEGATIVE_INFINITY, Math::max).v());
            }
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4)}, t -> t[0].max(1, false),
                x -> Ref.of(x[0], 2, 3, 4).reduce(new int[]{1}, false, Double.NEGATIVE_INFINITY, Math::max).v());
        Tensor x = Tensor.of(new float[]{1, 3, 3, 2, 0, 0}, 2, 3).requiresGrad(true);
        Tensor m = x.max(1, true);
        assertThat(m.shape()).containsExactly(2, 1);
        assertThat(m.toFloatArray()).containsExactly(3f, 2f);
        m.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0, 1, 0, 1, 0, 0);
        // ties along a non-contiguous dim, and the same value everywhere
        Tensor y = Tensor.of(new float[]{5, 1, 5, 5, 0, 2}, 3, 2).t().contiguous().t().requiresGrad(true);
        y.max(0, false).sum().backward();
        assertThat(y.grad().toFloatArray()).containsExactly(1, 0, 0, 1, 0, 0);   // columns 5,5,0 and 1,5,2
        Tensor flat = Tensor.full(7f, 4).requiresGrad(true);
        flat.max(0, false).backward();
        assertThat(flat.grad().toFloatArray()).containsExactly(1, 0, 0, 0);
        assertThat(Tensor.vector(1f, Float.NaN, 3f).max(0, false).item()).isNaN();
        assertThat(Tensor.vector(-1f, Float.NEGATIVE_INFINITY).max(0, false).item()).isEqualTo(-1f);
    }

    @Test
    void argmaxPicksTheFirstMaximum() {
        Tensor x = Tensor.of(new float[]{1, 3, 3, 2, 0, 0}, 2, 3);
        assertThat(x.argmax(1, false).toLongArray()).containsExactly(1, 0);
        assertThat(x.argmax(1, true).shape()).containsExactly(2, 1);
        assertThat(x.argmax(0, false).toLongArray()).containsExactly(1, 0, 0);
        assertThat(x.argmax(0, true).shape()).containsExactly(1, 3);
        assertThat(x.argmax(-1, false).dtype()).isEqualTo(DType.I64);
        assertThat(x.t().argmax(0, false).toLongArray()).containsExactly(1, 0);
        Tensor cube = Tensor.arange(24).reshape(2, 3, 4).permute(2, 0, 1);   // [4, 2, 3]: value 12a + 4b + c at [c, a, b]
        assertThat(cube.argmax(0, false).toLongArray()).containsExactly(3, 3, 3, 3, 3, 3);
        assertThat(cube.argmax(2, false).toLongArray()).containsExactly(2, 2, 2, 2, 2, 2, 2, 2);
        assertThat(Tensor.vector(1f, Float.NaN, 3f, Float.NaN).argmax(0, false).getLong()).isEqualTo(1);
        Tensor p = Tensor.vector(1f, 2f).requiresGrad(true);
        assertThat(p.argmax(0, false).requiresGrad()).isFalse();
    }

    @Test
    void largeRowsSumAccurately() {
        Tensor x = Tensor.full(0.1f, 64, 4099);
        float[] s = x.sum(1, false).toFloatArray();
        for (float v : s) assertThat((double) v).isCloseTo(409.9, org.assertj.core.data.Offset.offset(1e-2));
        // many short rows: the parallel path over outputs
        Tensor y = Tensor.randn(g, 1f, 9000, 5).requiresGrad(true);
        Tensor m = y.mean(1, true);
        float[] yv = y.toFloatArray(), mv = m.toFloatArray();
        for (int r = 0; r < 9000; r += 101) {
            double want = 0;
            for (int j = 0; j < 5; j++) want += yv[r * 5 + j];
            assertThat((double) mv[r]).isCloseTo(want / 5, org.assertj.core.data.Offset.offset(1e-6));
        }
        m.sum().backward();
        for (float gv : y.grad().toFloatArray()) assertThat(gv).isEqualTo(0.2f);
    }
}
