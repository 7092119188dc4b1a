package dev.qlora4j.tensor;

import java.util.Arrays;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks an op against a naive double-precision reference: the engine's forward output against the
 * reference output, and the engine's analytic gradients against central finite differences of the
 * reference (in double), for the loss L = Σ out ⊙ w with fixed random weights w.
 */
final class GradCheck {
    private GradCheck() {}

    /** A double-precision reference: the inputs in row-major order → the output in row-major order. */
    @FunctionalInterface
    interface Reference {
        double[] apply(double[][] inputs);
    }

    static final double TOLERANCE = 1e-4;

    /**
     * @param inputs leaves (F32, requiresGrad where a gradient is checked; may be non-contiguous)
     * @param op     the engine computation
     * @param ref    the same computation in double
     */
    static void check(Tensor[] inputs, Function<Tensor[], Tensor> op, Reference ref) {
        check(inputs, op, ref, TOLERANCE);
    }

    static void check(Tensor[] inputs, Function<Tensor[], Tensor> op, Reference ref, double tol) {
        double[][] x = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) x[i] = toDouble(inputs[i].toFloatArray());
        double[] expected = ref.apply(copy(x));
        Tensor out = op.apply(inputs);
        float[] actual = out.toFloatArray();
        assertThat(actual.length).as("output size").isEqualTo(expected.length);
        assertClose("forward", actual, expected, tol);

        Generator gen = new Generator(1234);
        float[] wf = new float[actual.length];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) gen.nextGaussian();
        double[] w = toDouble(wf);
        for (Tensor t : inputs) t.zeroGrad();
        out.mul(Tensor.of(wf, out.shape())).sum().backward();

        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) continue;
            assertThat(inputs[i].grad()).as("grad of input " + i).isNotNull();
            assertThat(inputs[i].grad().shape()).as("grad shape of input " + i).isEqualTo(inputs[i].shape());
            double[] numeric = new double[x[i].length];
            double h = 1e-6;
            for (int j = 0; j < x[i].length; j++) {
                double[][] xp = copy(x), xm = copy(x);
                xp[i][j] += h;
                xm[i][j] -= h;
                numeric[j] = (weighted(ref.apply(xp), w) - weighted(ref.apply(xm), w)) / (2 * h);
            }
            assertClose("gradient of input " + i, inputs[i].grad().toFloatArray(), numeric, tol);
        }
    }

    /** Largest difference, relative to the largest reference magnitude (at least 1). */
    static void assertClose(String what, float[] actual, double[] expected, double tol) {
        double scale = 1;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            if (Double.isNaN(expected[i])) {
                assertThat(Float.isNaN(actual[i])).as(what + " [" + i + "] should be NaN").isTrue();
                continue;
            }
            double err = Math.abs(actual[i] - expected[i]) / scale;
            if (err > tol)
                throw new AssertionError(what + " differs at " + i + ": " + actual[i] + " vs " + expected[i]
                        + " (relative error " + err + " > " + tol + ")\nactual   " + Arrays.toString(actual)
                        + "\nexpected " + Arrays.toString(expected));
        }
    }

    private static double weighted(double[] out, double[] w) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += out[i] * w[i];
        return s;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) c[i] = x[i].clone();
        return c;
    }

    // ------------------------------------------------------------------ inputs

    /** A leaf with normal random values, requiring grad. */
    static Tensor param(Generator gen, int... shape) {
        return Tensor.randn(gen, 1f, shape).requiresGrad(true);
    }

    /**
     * A leaf with normal random values whose storage is laid out in reversed dimension order, so its
     * strides are not row-major (the values are the same as any row-major tensor of that shape).
     */
    static Tensor strided(Generator gen, int... shape) {
        int r = shape.length;
        int[] reversed = new int[r], perm = new int[r];
        for (int i = 0; i < r; i++) {
            reversed[i] = shape[r - 1 - i];
            perm[i] = r - 1 - i;
        }
        Tensor storage = Tensor.randn(gen, 1f, reversed);
        Tensor view = storage.permute(perm).detach();
        return view.requiresGrad(true);
    }

    /**
     * A leaf with normal random values spaced two apart in its storage (every other element of a
     * larger tensor), so it is not contiguous even when it is 1-D.
     */
    static Tensor spaced(Generator gen, int... shape) {
        int[] wide = Arrays.copyOf(shape, shape.length + 1);
        wide[shape.length] = 2;
        return Tensor.randn(gen, 1f, wide).select(-1, 0).detach().requiresGrad(true);
    }
}
