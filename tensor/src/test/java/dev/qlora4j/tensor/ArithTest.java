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
                {{}, {2, 3}}, {{2, 3}, {}}, {{}, {}}, {{1}, {2, 3}}, {{5, 37}, {5, 37}}, {{5, 1, 37}, {4, 1}}};
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
    void frozenLowPrecisionOperands() {
        Generator g = new Generator(4);
        Tensor w = Tensor.randn(g, 1f, 3, 4).to(DType.BF16), h = Tensor.randn(g, 1f, 4).to(DType.F16);
        double[] wv = GradCheck.toDouble(w.toFloatArray()), hv = GradCheck.toDouble(h.toFloatArray());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 4)}, t -> t[0].mul(w).sub(h),
                x -> Ref.binary(Ref.binary(Ref.of(x[0], 3, 4), Ref.of(wv, 3, 4), (a, b) -> a * b), Ref.of(hv, 4), (a, b) -> a - b).v());
        assertThat(w.add(h).dtype()).isEqualTo(DType.F32);
    }

    @Test
    void largeBroadcastGradientsTakeTheParallelPath() {
        // [300, 1] · [1, 257] (both sides broadcast) and a transposed [257, 300] view: > 1<<15 outputs
        Generator g = new Generator(16);
        Tensor a = Tensor.randn(g, 1f, 300, 1).requiresGrad(true), b = Tensor.randn(g, 1f, 1, 257).requiresGrad(true);
        Tensor c = Tensor.randn(g, 1f, 257, 300).requiresGrad(true);
        Tensor out = a.mul(b).div(c.t().square().add(1f)).sub(a);
        float[] av = a.toFloatArray(), bv = b.toFloatArray(), cv = c.toFloatArray(), ov = out.toFloatArray();
        Tensor w = Tensor.randn(g, 1f, 300, 257);
        float[] wv = w.toFloatArray();
        out.mul(w).sum().backward();
        double[] ga = new double[300], gb = new double[257], gc = new double[257 * 300];
        for (int i = 0; i < 300; i++)
            for (int j = 0; j < 257; j++) {
                double cij = cv[j * 300 + i], den = cij * cij + 1, wij = wv[i * 257 + j];
                double want = av[i] * bv[j] / den - av[i];
                assertThat(Math.abs(ov[i * 257 + j] - want)).isLessThan(1e-5 * Math.max(1, Math.abs(want)));
                ga[i] += wij * (bv[j] / den - 1);
                gb[j] += wij * av[i] / den;
                gc[j * 300 + i] = -wij * av[i] * bv[j] * 2 * cij / (den * den);
            }
        GradCheck.assertClose("grad a", a.grad().toFloatArray(), ga, GradCheck.TOLERANCE);
        GradCheck.assertClose("grad b", b.grad().toFloatArray(), gb, GradCheck.TOLERANCE);
        GradCheck.assertClose("grad c", c.grad().toFloatArray(), gc, GradCheck.TOLERANCE);
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
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 37)}, t -> t[0].add(-3f).mul(0.5f),
                x -> Ref.of(x[0], 2, 37).map(v -> (v - 3) * 0.5).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g)}, t -> t[0].mul(4f).neg(), x -> new double[]{-4 * x[0][0]});
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4)}, t -> t[0].expand(3, 4).add(1f),
                x -> Ref.of(x[0], 4).expand(3, 4).map(v -> v + 1).v());
        Tensor bf = Tensor.vector(1.5f, -2f).to(DType.BF16);
        assertThat(bf.mul(2f).add(1f).toFloatArray()).containsExactly(4f, -3f);
        assertThat(bf.neg().dtype()).isEqualTo(DType.F32);
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
        // 4×37: vector main loop plus a scalar tail; strided and contiguous input
        for (boolean strided : new boolean[]{true, false}) {
            Tensor x = fn.positiveOnly() ? positive(g, strided, 4, 37) : strided ? GradCheck.strided(g, 4, 37) : GradCheck.param(g, 4, 37);
            GradCheck.check(new Tensor[]{x}, t -> fn.op().apply(t[0]), in -> Ref.of(in[0], 4, 37).map(fn.ref()).v());
        }
        // through an expanded (stride 0) input the gradient sums over the copies
        Tensor row = fn.positiveOnly() ? positive(g, false, 5) : GradCheck.param(g, 5);
        GradCheck.check(new Tensor[]{row}, t -> fn.op().apply(t[0].expand(3, 5)), in -> Ref.of(in[0], 5).expand(3, 5).map(fn.ref()).v());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unaryCases")
    void unaryGradientsOnLargeInputs(Fn fn) {
        Generator g = new Generator(17);
        Tensor x = (fn.positiveOnly() ? Tensor.uniform(g, 0.5f, 3f, 40_003) : Tensor.randn(g, 2f, 40_003)).requiresGrad(true);
        fn.op().apply(x).sum().backward();
        float[] xv = x.toFloatArray(), gv = x.grad().toFloatArray();
        for (int i = 0; i < xv.length; i += 397) {
            double h = 1e-4 * Math.max(1, Math.abs(xv[i]));
            double want = (fn.ref().applyAsDouble(xv[i] + h) - fn.ref().applyAsDouble(xv[i] - h)) / (2 * h);
            assertThat((double) gv[i]).as(fn.name() + "'(" + xv[i] + ")").isCloseTo(want, org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(want))));
        }
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

    @Test
    void softcapNeedsAPositiveCap() {
        Tensor x = Tensor.vector(1f, 100f, -100f);
        GradCheck.assertClose("softcap", x.softcap(30f).toFloatArray(),
                new double[]{30 * Math.tanh(1 / 30.0), 30 * Math.tanh(100 / 30.0), -30 * Math.tanh(100 / 30.0)}, 1e-6);
        for (float cap : new float[]{0f, -1f, Float.NaN})
            assertThatThrownBy(() -> x.softcap(cap)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("soft-cap");
    }
}
