package dev.qlora4j.accel;

import dev.qlora4j.tensor.Attention;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GPU attention against the CPU's {@link Attention#sdpa}, forward and backward, with grouped
 * heads, causal mask, sliding window, key padding (a row with every key padded included) and
 * soft-capping. The GPU rounds P, O and the gradients to bf16 (as transformers' eager bf16 path
 * does), so the comparison is by relative L2 error, under 1 %: a wrong mask or a wrong head
 * mapping is off by tens of percent.
 */
@Timeout(300)
class GpuAttentionTest {
    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void matchesTheCpuForwardAndBackward(String kind) {
        int b = 2, t = 7, hq = 4, hkv = 2, dim = 8;
        Generator gen = new Generator(11);
        int[] mask = {1, 1, 1, 1, 1, 1, 1, /* row 2: left padding */ 0, 0, 0, 1, 1, 1, 1};
        record Case(boolean causal, int window, float cap, boolean padded) {}
        for (Case c : new Case[]{new Case(true, 0, 0f, false), new Case(true, 3, 0f, true), new Case(true, 0, 5f, true),
                new Case(false, 0, 0f, true)}) {
            Tensor q = bf16(Tensor.randn(gen, 1f, b, t, hq * dim)), k = bf16(Tensor.randn(gen, 1f, b, t, hkv * dim)),
                    v = bf16(Tensor.randn(gen, 1f, b, t, hkv * dim)), g = bf16(Tensor.randn(gen, 1f, b, t, hq * dim));
            for (Tensor x : new Tensor[]{q, k, v}) x.requiresGrad(true);
            float scale = (float) (1 / Math.sqrt(dim));
            Attention.Options o = new Attention.Options(scale, c.causal(), c.window(), c.cap(), c.padded() ? Tensor.ofInts(mask, b, t) : null, -1);
            Tensor out = Attention.sdpa(heads(q, hq, dim), heads(k, hkv, dim), heads(v, hkv, dim), o).transpose(1, 2).reshape(b, t, hq * dim);
            out.backward(g);
            try (CudaDevice d = TestDevices.open(kind)) {
                var shape = new GpuAttention.Shape(b, t, hq, hkv, dim, scale, c.causal(), c.window(), c.cap());
                DeviceBuffer dq = KernelsTest.up(d, q, DType.BF16), dk = KernelsTest.up(d, k, DType.BF16), dv = KernelsTest.up(d, v, DType.BF16),
                        dg = KernelsTest.up(d, g, DType.BF16), pad = c.padded() ? d.upload(mask) : null, dout = d.allocate(2L * b * t * hq * dim),
                        gq = d.allocate(2L * b * t * hq * dim), gk = d.allocate(2L * b * t * hkv * dim), gv = d.allocate(2L * b * t * hkv * dim);
                GpuAttention.Saved saved = GpuAttention.forward(d, shape, dq, dk, dv, pad, null, dout);
                GpuAttention.backward(d, shape, saved, dg, pad, null, gq, gk, gv);
                saved.free(d);
                String what = c.toString();
                near(what + " out", KernelsTest.down(d, dout, DType.BF16, b * t * hq * dim), out.toFloatArray());
                near(what + " dq", KernelsTest.down(d, gq, DType.BF16, b * t * hq * dim), q.grad().toFloatArray());
                near(what + " dk", KernelsTest.down(d, gk, DType.BF16, b * t * hkv * dim), k.grad().toFloatArray());
                near(what + " dv", KernelsTest.down(d, gv, DType.BF16, b * t * hkv * dim), v.grad().toFloatArray());
            }
        }
    }

    /** Decoding: 3 new queries over 7 keys (4 cached before them), causal with a sliding window, against sdpa with its query offset. */
    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void queriesAfterCachedKeys(String kind) {
        int t = 3, n = 7, hq = 4, hkv = 2, dim = 8;
        Generator gen = new Generator(12);
        Tensor q = bf16(Tensor.randn(gen, 1f, 1, t, hq * dim)), k = bf16(Tensor.randn(gen, 1f, 1, n, hkv * dim)),
                v = bf16(Tensor.randn(gen, 1f, 1, n, hkv * dim));
        float scale = (float) (1 / Math.sqrt(dim));
        for (int window : new int[]{0, 3}) {
            Attention.Options o = new Attention.Options(scale, true, window, 0f, null, -1);
            Tensor want = Attention.sdpa(heads(q, hq, dim), heads(k, hkv, dim), heads(v, hkv, dim), o).transpose(1, 2).reshape(1, t, hq * dim);
            try (CudaDevice d = TestDevices.open(kind)) {
                var shape = new GpuAttention.Shape(1, t, n, hq, hkv, dim, scale, true, window, 0f);
                DeviceBuffer out = d.allocate(2L * t * hq * dim);
                GpuAttention.forward(d, shape, KernelsTest.up(d, q, DType.BF16), KernelsTest.up(d, k, DType.BF16), KernelsTest.up(d, v, DType.BF16),
                        null, null, out).free(d);
                near("window " + window, KernelsTest.down(d, out, DType.BF16, t * hq * dim), want.toFloatArray());
            }
        }
    }

    // [B, T, H·D] → [B, H, T, D]
    private static Tensor heads(Tensor x, int h, int dim) {
        return x.view(x.size(0), x.size(1), h, dim).transpose(1, 2);
    }

    private static Tensor bf16(Tensor x) {
        return KernelsTest.rounded(x, DType.BF16);
    }

    static void near(String what, float[] got, float[] want) {
        double err = 0, norm = 0;
        for (int i = 0; i < want.length; i++) {
            err += (got[i] - want[i]) * (double) (got[i] - want[i]);
            norm += want[i] * (double) want[i];
        }
        assertThat(Math.sqrt(err / Math.max(norm, 1e-30))).as("%s: relative L2 error", what).isLessThan(0.01);
    }
}
