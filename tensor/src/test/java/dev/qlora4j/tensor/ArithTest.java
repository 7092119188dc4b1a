package dev.qlora4j.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArithTest {
    private static Tensor positive(Generator g, boolean strided, int... shape) {
        Tensor base = strided ? GradCheck.strided(g, shape) : GradCheck.param(g, shape);
        // values in [0.5, 2.5) with the same strides: overwrite in place (not recorded)
        float[] vals = Tensor.uniform(g, 0.5f, 2.5f, shape).toFloatArray();
        int[] idx = new int[shape.length];
        for (float v : vals) {
            base.set(v, idx);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return base;
    }

    record Case(String name, BiFunction<Tensor, Tensor, Tensor> op, DoubleBinaryOperator ref) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> binaryCases() {
        Case[] ops = {
                new Case("add", Tensor::add, Double::sum),
                new Case("sub", Tensor::sub, (x, y) -> x - y),
                new Case("mul", Tensor::mul, (x, y) -> x * y),
                new Case("div", Tensor::div, (x, y) -> x / y)};
        int[][][] shapes = {
                {{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}}, {{2, 1, 4}, {3, 1}},
                {{}, {2, 3}}, {{2, 3}, {}}, {{5, 37}, {5, 37}}};
        return Stream.of(ops).flatMap(op -> Stream.of(shapes).flatMap(s -> Stream.of(
                Arguments.of(op, s[0], s[1], false), Arguments.of(op, s[0], s[1], true))));
    }

    @ParameterizedTest(name = "{0} {1} {2} strided={3}")
    @MethodSource("binaryCases")
    void binaryOpsBroadcastWithGradients(Case c, int[] sa, int[] sb, boolean strided) {
        Generator g = new Generator(sa.length * 31L + sb.length);
        Tensor a = strided && sa.length > 1 ? GradCheck.strided(g, sa) : GradCheck.param(g, sa);
        Tensor b = positive(g, strided && sb.length > 1, sb);
        GradCheck.check(new Tensor[]{a, b}, t -> c.op().apply(t[0], t[1]),
                x -> Ref.binary(Ref.of(x[0], sa), Ref.of(x[1], sb), c.ref()).v());
    }

    @Test
    void expandedViewInputs() {
        Generator g = new Generator(5);
        Tensor a = GradCheck.param(g, 3, 1), b = GradCheck.param(g, 4);
        GradCheck.check(new Tensor[]{a, b}, t -> t[0].expand(3, 4).mul(t[1].expand(3, 4)),
                x -> Ref.binary(Ref.of(x[0], 3, 1), Ref.of(x[1], 4), (p, q) -> p * q).v());
    }

    @Test
    void largeInputsTakeTheParallelPath() {
        Generator g = new Generator(6);
        Tensor a = Tensor.randn(g, 1f, 300, 257), b = Tensor.randn(g, 1f, 257);
        float[] out = a.mul(b).add(a).toFloatArray(), av = a.toFloatArray(), bv = b.toFloatArray();
        for (int i = 0; i < out.length; i++) assertThat(out[i]).isEqualTo(av[i] * bv[i % 257] + av[i]);
        Tensor at = a.t();   // non-contiguous, parallel row path
        float[] sum = at.add(at).toFloatArray();
        assertThat(sum[1]).isEqualTo(2 * a.get(1, 0));
    }

    @Test
    void affineOps() {
        Generator g = new Generator(7);
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 5)}, t -> t[0].mul(-1.5f).add(0.25f).neg(),
                x -> Ref.of(x[0], 3, 5).map(v -> -(v * -1.5 + 0.25)).v());
    }

    @Test
    void incompatibleShapesAreRejected() {
        assertThatThrownBy(() -> Tensor.zeros(3, 4).add(Tensor.zeros(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[3, 4]").hasMessageContaining("[5]");
    }

    record Fn(String name, Function<Tensor, Tensor> op, DoubleUnaryOperator ref, boolean positiveOnly) {
        @Override
        public String toString() {
            return name;
        }
    }

    static double erf(double x) {
        // independent reference: Simpson integration of 2/√π·exp(−t²) on [0, x]
        int n = 2000;
        double h = x / n, s = 0;
        for (int i = 0; i <= n; i++) {
            double t = i * h, w = i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2;
            s += w * Math.exp(-t * t);
        }
        return 2 / Math.sqrt(Math.PI) * s * h / 3;
    }

    static Stream<Fn> unaryCases() {
        double c = Math.sqrt(2 / Math.PI);
        return Stream.of(
                new Fn("exp", Tensor::exp, Math::exp, false),
                new Fn("log", Tensor::log, Math::log, true),
                new Fn("sqrt", Tensor::sqrt, Math::sqrt, true),
                new Fn("rsqrt", Tensor::rsqrt, v -> 1 / Math.sqrt(v), true),
                new Fn("tanh", Tensor::tanh, Math::tanh, false),
                new Fn("square", Tensor::square, v -> v * v, false),
                new Fn("silu", Tensor::silu, v -> v / (1 + Math.exp(-v)), false),
                new Fn("gelu", Tensor::gelu, v -> 0.5 * v * (1 + erf(v / Math.sqrt(2))), false),
                new Fn("gelu_tanh", Tensor::geluTanh, v -> 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v))), false),
                new Fn("softcap", t -> t.softcap(1.5f), v -> 1.5 * Math.tanh(v / 1.5), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unaryCases")
    void unaryFunctionsWithGradients(Fn fn) {
        Generator g = new Generator(fn.name().hashCode());
        // 4×37: vector main loop plus a scalar tail; strided input
        Tensor x = fn.positiveOnly() ? positive(g, true, 4, 37) : GradCheck.strided(g, 4, 37);
        GradCheck.check(new Tensor[]{x}, t -> fn.op().apply(t[0]), in -> Ref.of(in[0], 4, 37).map(fn.ref()).v());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unaryCases")
    void unaryFunctionsOnLargeInputs(Fn fn) {
        Generator g = new Generator(11);
        Tensor x = fn.positiveOnly() ? Tensor.uniform(g, 0.5f, 3f, 70_001) : Tensor.randn(g, 2f, 70_001);
        float[] y = fn.op().apply(x).toFloatArray(), xv = x.toFloatArray();
        for (int i = 0; i < y.length; i += 997) {
            double want = fn.ref().applyAsDouble(xv[i]);
            assertThat((double) y[i]).as(fn.name() + "(" + xv[i] + ")").isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(want))));
        }
    }

    @Test
    void geluTailsAreExact() {
        assertThat(Tensor.vector(-10f, 10f, 0f).gelu().toFloatArray()).containsExactly(-0f, 10f, 0f);
    }
}
