package dev.qlora4j.accel;

import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.GatedActivation;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Precision;
import dev.qlora4j.tensor.RmsNorm;
import dev.qlora4j.tensor.Rope;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.quant.Nf4Quantizer;
import dev.qlora4j.tensor.quant.Nf4Weight;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kernel against the CPU backend's op on the same inputs. F32 storage: fp32 arithmetic in
 * another order (block reductions, the GPU's expf/tanhf within 2 ulp), so a few ulp. BF16
 * storage: the CPU result on the bf16-rounded inputs, rounded to bf16, so one bf16 step (2⁻⁷
 * relative) where the fp32 results straddle a rounding boundary.
 */
@Timeout(300)
class KernelsTest {
    static final float F32_TOL = 1e-5f, BF16_TOL = 1f / 128;

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void gatedActivationsForwardAndBackward(String kind) {
        Generator gen = new Generator(1);
        int n = 1000;
        for (DType t : new DType[]{DType.F32, DType.BF16})
            for (GpuKernels.Gate gate : GpuKernels.Gate.values()) {
                Tensor g = rounded(Tensor.randn(gen, 3f, n), t), u = rounded(Tensor.randn(gen, 1f, n), t), dy = rounded(Tensor.randn(gen, 1f, n), t);
                g.requiresGrad(true);
                u.requiresGrad(true);
                Tensor y = GatedActivation.apply(gate == GpuKernels.Gate.SILU ? GatedActivation.Kind.SILU : GatedActivation.Kind.GELU_TANH, g, u);
                y.backward(dy);
                try (CudaDevice d = TestDevices.open(kind)) {
                    DeviceBuffer dg = up(d, g, t), du = up(d, u, t), ddy = up(d, dy, t), out = d.allocate(4L * n),
                            dGate = d.allocate(4L * n), dUp = d.allocate(4L * n);
                    GpuKernels.gatedForward(d, gate, t, dg, du, out, n);
                    GpuKernels.gatedBackward(d, gate, t, dg, du, ddy, dGate, dUp, n);
                    String what = gate + " " + t;
                    close(what + " forward", down(d, out, t, n), y.toFloatArray(), t);
                    close(what + " dgate", down(d, dGate, t, n), g.grad().toFloatArray(), t);
                    close(what + " dup", down(d, dUp, t, n), u.grad().toFloatArray(), t);
                }
            }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void rmsNormForwardAndBackward(String kind) {
        Generator gen = new Generator(2);
        int rows = 6, cols = 100;
        for (DType t : new DType[]{DType.F32, DType.BF16})
            for (boolean onePlus : new boolean[]{false, true}) {
                Tensor x = rounded(Tensor.randn(gen, 2f, rows, cols), t), w = Tensor.randn(gen, 0.5f, cols), dy = rounded(Tensor.randn(gen, 1f, rows, cols), t);
                x.requiresGrad(true);
                Tensor y = RmsNorm.apply(x, w, 1e-6f, onePlus);
                y.backward(dy);
                try (CudaDevice d = TestDevices.open(kind)) {
                    DeviceBuffer dx = up(d, x, t), dw = d.upload(w.toFloatArray()), out = d.allocate(4L * rows * cols),
                            rstd = d.allocate(4L * rows), ddy = up(d, dy, t), grad = d.allocate(4L * rows * cols);
                    GpuKernels.rmsNormForward(d, t, dx, dw, out, rstd, rows, cols, 1e-6f, onePlus);
                    GpuKernels.rmsNormBackward(d, t, dx, dw, rstd, ddy, grad, rows, cols, onePlus, false);
                    String what = "rmsnorm " + t + (onePlus ? " 1+w" : "");
                    close(what + " forward", down(d, out, t, rows * cols), y.toFloatArray(), t);
                    close(what + " dx", down(d, grad, t, rows * cols), x.grad().toFloatArray(), t);
                    // accumulating: dy + dx (the residual stream's gradient), rounded once
                    DeviceBuffer acc = up(d, dy, t);
                    GpuKernels.rmsNormBackward(d, t, dx, dw, rstd, ddy, acc, rows, cols, onePlus, true);
                    close(what + " dy + dx", down(d, acc, t, rows * cols), dy.add(x.grad()).toFloatArray(), t);
                }
            }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void ropeForwardAndBackward(String kind) {
        Generator gen = new Generator(3);
        int b = 2, tk = 5, h = 3, dim = 8, half = dim / 2;
        Rope.Table table = Rope.Table.create(Rope.Table.defaultInvFreq(dim, 10000), 64, 1f);
        int[] pos = {0, 1, 2, 3, 4, 7, 8, 20, 30, 63};
        for (DType t : new DType[]{DType.F32, DType.BF16}) {
            // the GPU layout is [B, T, H, D]; the CPU op takes [B, H, T, D] (a view of the same values)
            Tensor x = rounded(Tensor.randn(gen, 1f, b, tk, h, dim), t), g = rounded(Tensor.randn(gen, 1f, b, tk, h, dim), t);
            x.requiresGrad(true);
            Tensor y = Rope.apply(x.permute(0, 2, 1, 3), table, Tensor.ofInts(pos, b, tk)).permute(0, 2, 1, 3);
            y.backward(g);
            try (CudaDevice d = TestDevices.open(kind)) {
                DeviceBuffer dx = up(d, x, t), dg = up(d, g, t), dp = d.upload(pos), cos = d.upload(table.cos()), sin = d.upload(table.sin());
                int n = b * tk * h * dim;
                GpuKernels.rope(d, t, dx, dp, cos, sin, b * tk, h, half, false);
                GpuKernels.rope(d, t, dg, dp, cos, sin, b * tk, h, half, true);
                close("rope " + t, down(d, dx, t, n), y.contiguous().toFloatArray(), t);
                close("rope backward " + t, down(d, dg, t, n), x.grad().contiguous().toFloatArray(), t);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void crossEntropyLossAndGradientInPlace(String kind) {
        Generator gen = new Generator(4);
        int rows = 5, vocab = 300;
        int[] targets = {3, -100, 299, 0, 150};
        for (DType t : new DType[]{DType.F32, DType.BF16})
            for (float cap : new float[]{0f, 30f}) {
                Tensor logits = rounded(Tensor.randn(gen, 8f, rows, vocab), t);
                logits.requiresGrad(true);
                Tensor z = cap > 0 ? logits.softcap(cap) : logits;
                Tensor loss = CrossEntropy.apply(z, Tensor.ofInts(targets, rows), CrossEntropy.Reduction.MEAN);
                loss.backward();
                try (CudaDevice d = TestDevices.open(kind)) {
                    DeviceBuffer dl = up(d, logits, t), dt = d.upload(targets), rowLoss = d.allocate(4L * rows);
                    GpuKernels.crossEntropy(d, t, dl, dt, rowLoss, rows, vocab, cap, 1f / 4);   // 4 rows are counted
                    float[] perRow = d.downloadFloats(rowLoss, rows);
                    assertThat(perRow[1]).isZero();
                    double mean = 0;
                    for (float l : perRow) mean += l;
                    mean /= 4;
                    String what = "cross-entropy " + t + " cap " + cap;
                    assertThat(mean).as(what + " loss").isCloseTo(loss.item(), org.assertj.core.data.Offset.offset(2e-5 * (1 + loss.item())));
                    // the gradient is stored in the logits' dtype
                    close(what + " grad", down(d, dl, t, rows * vocab), logits.grad().toFloatArray(), t, t == DType.BF16 ? 1e-6f : 1e-7f);
                }
            }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void nf4DequantizationEqualsTheCpuBitForBit(String kind) {
        Generator gen = new Generator(5);
        Tensor weight = Tensor.randn(gen, 0.02f, 48, 70).to(DType.BF16);
        for (boolean doubleQuant : new boolean[]{false, true}) {
            Nf4Weight w = Nf4Quantizer.quantize(weight, 64, doubleQuant, "w");
            try (CudaDevice d = TestDevices.open(kind)) {
                GpuKernels.Nf4Device dw = GpuKernels.upload(d, w);
                DeviceBuffer out = d.allocate(2L * w.numel());
                GpuKernels.nf4Dequantize(d, dw, out);
                short[] got = d.downloadShorts(out, (int) w.numel());
                for (int i = 0; i < got.length; i++)
                    assertThat(Precision.bf16ToFloat(got[i])).as("double quant %s, element %d", doubleQuant, i).isEqualTo(w.value(i));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void dropoutKeepsOneMinusPScaledAndTheSameSeedGivesTheSameMask(String kind) {
        int n = 100_000;
        float p = 0.25f;
        short[] ones = CudaDeviceTest.bf16(filled(n, 1f));
        try (CudaDevice d = TestDevices.open(kind)) {
            DeviceBuffer x = d.upload(ones), y1 = d.allocate(2L * n), y2 = d.allocate(2L * n), y3 = d.allocate(2L * n);
            GpuKernels.dropout(d, x, y1, p, 42L, n);
            GpuKernels.dropout(d, x, y2, p, 42L, n);
            GpuKernels.dropout(d, x, y3, p, 43L, n);
            float[] a = KernelsTest.down(d, y1, DType.BF16, n), b = KernelsTest.down(d, y2, DType.BF16, n), c = KernelsTest.down(d, y3, DType.BF16, n);
            assertThat(b).isEqualTo(a);
            int kept = 0, differ = 0;
            for (int i = 0; i < n; i++) {
                assertThat(a[i]).isIn(0f, Precision.roundToBf16(1f / (1 - p)));
                if (a[i] != 0) kept++;
                if ((a[i] != 0) != (c[i] != 0)) differ++;
            }
            // 75 000 expected, standard deviation √(n·p·(1−p)) ≈ 137: six of them either side
            assertThat(kept).isBetween(75_000 - 822, 75_000 + 822);
            assertThat(differ).as("another seed, another mask").isGreaterThan(30_000);
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    // --- helpers: tensors to device buffers of a storage type and back -----------------------------

    /** x rounded to bf16 (as an F32 tensor) when t is BF16, so the CPU sees what the GPU stores. */
    static Tensor rounded(Tensor x, DType t) {
        if (t == DType.F32) return x;
        float[] v = x.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = Precision.roundToBf16(v[i]);
        return Tensor.of(v, x.shape());
    }

    static DeviceBuffer up(CudaDevice d, Tensor x, DType t) {
        float[] v = x.contiguous().toFloatArray();
        if (t == DType.F32) return d.upload(v);
        return d.upload(CudaDeviceTest.bf16(v));
    }

    static float[] down(CudaDevice d, DeviceBuffer b, DType t, int n) {
        return t == DType.F32 ? d.downloadFloats(b, n) : CudaDeviceTest.widen(d.downloadShorts(b, n));
    }

    static void close(String what, float[] got, float[] want, DType t) {
        close(what, got, want, t, 1e-6f);
    }

    static void close(String what, float[] got, float[] want, DType t, float abs) {
        assertThat(got).as(what).hasSameSizeAs(want);
        float rel = t == DType.F32 ? F32_TOL : BF16_TOL;
        for (int i = 0; i < want.length; i++)
            assertThat(Math.abs(got[i] - want[i])).as("%s [%d]: got %s, want %s", what, i, got[i], want[i])
                    .isLessThanOrEqualTo(rel * Math.abs(want[i]) + abs);
    }

}
