package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MatMulTest {
    private final Generator g = new Generator(10);

    @Test
    void plainAndTransposedOperands() {
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 5), GradCheck.param(g, 5, 4)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 3, 5), Ref.of(x[1], 5, 4)).v());
        // both operands stored transposed: passed to the GEMM as flags, not copied
        GradCheck.check(new Tensor[]{GradCheck.param(g, 5, 3), GradCheck.param(g, 4, 5)}, t -> t[0].t().matmul(t[1].t()),
                x -> Ref.matmul(Ref.of(x[0], 5, 3).transpose(0, 1), Ref.of(x[1], 4, 5).transpose(0, 1)).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 5), GradCheck.strided(g, 5, 4)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 3, 5), Ref.of(x[1], 5, 4)).v());
        // a non-unit inner stride (every other column) forces a copy
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 10), GradCheck.param(g, 5, 2)},
                t -> t[0].reshape(3, 5, 2).select(2, 0).matmul(t[1]),
                x -> {
                    double[] a = new double[15];
                    for (int i = 0; i < 3; i++) for (int p = 0; p < 5; p++) a[i * 5 + p] = x[0][i * 10 + p * 2];
                    return Ref.matmul(Ref.of(a, 3, 5), Ref.of(x[1], 5, 2)).v();
                });
    }

    @Test
    void batchedAndBroadcast() {
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4), GradCheck.param(g, 2, 4, 5)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 4), Ref.of(x[1], 2, 4, 5)).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 1, 3, 4), GradCheck.param(g, 5, 4, 6)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 2, 1, 3, 4), Ref.of(x[1], 5, 4, 6)).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4), GradCheck.param(g, 4, 2)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 4), Ref.of(x[1], 4, 2)).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 4), GradCheck.strided(g, 2, 4, 2)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 3, 4), Ref.of(x[1], 2, 4, 2)).v());
        // attention-style: [B, H, T, D] · [B, H, T, D]ᵀ with transposed views of a [B, T, H, D] layout
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 2, 4), GradCheck.param(g, 2, 5, 2, 4)},
                t -> t[0].transpose(1, 2).matmul(t[1].transpose(1, 2).transpose(-1, -2)),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 2, 4).transpose(1, 2),
                        Ref.of(x[1], 2, 5, 2, 4).transpose(1, 2).transpose(2, 3)).v());
    }

    @Test
    void moreBatchLayouts() {
        // 4-D batched, both operands plain
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4, 5), GradCheck.param(g, 2, 3, 5, 2)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 4, 5), Ref.of(x[1], 2, 3, 5, 2)).v());
        // transpose(-1, -2) of a batched operand, and a 2-D operand against a 4-D one
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 5), GradCheck.param(g, 2, 4, 5)}, t -> t[0].matmul(t[1].transpose(-1, -2)),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 5), Ref.of(x[1], 2, 4, 5).transpose(1, 2)).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 4), GradCheck.param(g, 2, 2, 4, 5)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 3, 4), Ref.of(x[1], 2, 2, 4, 5)).v());
        // size-1 batch on one side, non-row-major batches on both sides
        GradCheck.check(new Tensor[]{GradCheck.param(g, 1, 3, 4), GradCheck.strided(g, 3, 4, 5)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 1, 3, 4), Ref.of(x[1], 3, 4, 5)).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 4), GradCheck.spaced(g, 2, 4, 3)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 4), Ref.of(x[1], 2, 4, 3)).v());
        // an expanded (stride 0) batch
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 4), GradCheck.param(g, 2, 4, 5)}, t -> t[0].expand(2, 3, 4).matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 1, 3, 4), Ref.of(x[1], 2, 4, 5)).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4), GradCheck.param(g, 4, 5)}, t -> t[0].matmul(t[1].expand(2, 4, 5)),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 4), Ref.of(x[1], 4, 5)).v());
    }

    @Test
    void frozenAndForeignOperands() {
        Tensor bf = Tensor.randn(g, 1f, 4, 3).to(DType.BF16);
        double[] bv = GradCheck.toDouble(bf.toFloatArray());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 4)}, t -> t[0].matmul(bf),
                x -> Ref.matmul(Ref.of(x[0], 2, 4), Ref.of(bv, 4, 3)).v());
        // a float[] slice at an odd byte offset (floats straddle array elements)
        float[] wv = Tensor.randn(g, 1f, 4, 3).toFloatArray();
        MemorySegment seg = MemorySegment.ofArray(new float[13]).asSlice(2);
        for (int i = 0; i < 12; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, wv[i]);
        Tensor w = Tensor.wrap(seg, DType.F32, 4, 3);
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 4)}, t -> t[0].matmul(w),
                x -> Ref.matmul(Ref.of(x[0], 2, 4), Ref.of(GradCheck.toDouble(wv), 4, 3)).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3)}, t -> MatMul.linear(t[0], w, null),
                x -> Ref.matmul(Ref.of(x[0], 2, 3), Ref.of(GradCheck.toDouble(wv), 4, 3).transpose(0, 1)).v());
        // an empty inner dimension gives zeros
        assertThat(Tensor.zeros(2, 0).matmul(Tensor.zeros(0, 3)).toFloatArray()).containsExactly(new float[6]);
    }

    @Test
    void oneDimensionalOperands() {
        GradCheck.check(new Tensor[]{GradCheck.param(g, 5), GradCheck.spaced(g, 5)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 1, 5), Ref.of(x[1], 5, 1)).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4), GradCheck.strided(g, 2, 4, 3)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 1, 4), Ref.of(x[1], 2, 4, 3)).v());
        assertThat(Tensor.vector(1, 2).matmul(Tensor.zeros(2, 2, 3)).shape()).containsExactly(2, 3);
        assertThat(Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(4)).shape()).containsExactly(2, 3);
        assertThat(Tensor.vector(1, 2).matmul(Tensor.vector(3, 4)).shape()).isEmpty();
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4), GradCheck.param(g, 4, 3)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 1, 4), Ref.of(x[1], 4, 3)).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4), GradCheck.param(g, 4)}, t -> t[0].matmul(t[1]),
                x -> Ref.matmul(Ref.of(x[0], 2, 3, 4), Ref.of(x[1], 4, 1)).v());
        assertThat(Tensor.vector(1, 2, 3).matmul(Tensor.vector(4, 5, 6)).item()).isEqualTo(32f);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]").hasMessageContaining("[4, 2]");
    }

    @Test
    void linearWithTrainableWeightAndBias() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 5), GradCheck.param(g, 4, 5), GradCheck.param(g, 4)},
                t -> MatMul.linear(t[0], t[1], t[2]),
                x -> Ref.binary(Ref.matmul(Ref.of(x[0], 2, 3, 5), Ref.of(x[1], 4, 5).transpose(0, 1)), Ref.of(x[2], 4), Double::sum).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 5), GradCheck.strided(g, 4, 5)},
                t -> MatMul.linear(t[0], t[1], null),
                x -> Ref.matmul(Ref.of(x[0], 3, 5), Ref.of(x[1], 4, 5).transpose(0, 1)).v());
    }

    @Test
    void linearEdgeShapes() {
        // a 1-D input, a transposed (non-row-major) trainable weight view, and a 4-D input with bias
        GradCheck.check(new Tensor[]{GradCheck.param(g, 5), GradCheck.param(g, 5, 3), GradCheck.spaced(g, 3)},
                t -> MatMul.linear(t[0], t[1].t(), t[2]),
                x -> Ref.binary(Ref.matmul(Ref.of(x[0], 1, 5), Ref.of(x[1], 5, 3)), Ref.of(x[2], 3), Double::sum).reshape(3).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 1, 2, 4), GradCheck.param(g, 3, 4), GradCheck.param(g, 3)},
                t -> MatMul.linear(t[0], t[1], t[2]),
                x -> Ref.binary(Ref.matmul(Ref.of(x[0], 2, 1, 2, 4), Ref.of(x[1], 3, 4).transpose(0, 1)), Ref.of(x[2], 3), Double::sum).v());
        // no input features: every row is the bias, and the bias still gets its gradient
        Tensor b = Tensor.vector(1f, 2f).requiresGrad(true);
        Tensor y = MatMul.linear(Tensor.zeros(3, 0), Tensor.zeros(2, 0), b);
        assertThat(y.shape()).containsExactly(3, 2);
        assertThat(y.toFloatArray()).containsExactly(1, 2, 1, 2, 1, 2);
        y.sum().backward();
        assertThat(b.grad().toFloatArray()).containsExactly(3f, 3f);
        assertThatThrownBy(() -> MatMul.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 5), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 4]").hasMessageContaining("[3, 5]");
        assertThatThrownBy(() -> MatMul.linear(Tensor.zeros(2, 4), Tensor.zeros(3, 4), Tensor.zeros(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias");
        assertThatThrownBy(() -> MatMul.linear(Tensor.zeros(2, 4), Tensor.zeros(4), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2-D");
    }

    @Test
    void linearWithFrozenBf16WeightAndTrainableBias() {
        Tensor wBf16 = Tensor.randn(g, 1f, 6, 5).to(DType.BF16);
        double[] wRounded = GradCheck.toDouble(wBf16.toFloatArray());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 5), GradCheck.param(g, 6)}, t -> MatMul.linear(t[0], wBf16, t[1]),
                x -> Ref.binary(Ref.matmul(Ref.of(x[0], 2, 3, 5), Ref.of(wRounded, 6, 5).transpose(0, 1)), Ref.of(x[1], 6), Double::sum).v());
        // a frozen bf16 weight viewed transposed (not row-major): read through a copy
        Tensor wt = Tensor.randn(g, 1f, 5, 6).to(DType.BF16);
        double[] wtv = GradCheck.toDouble(wt.toFloatArray());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 5)}, t -> MatMul.linear(t[0], wt.t(), null),
                x -> Ref.matmul(Ref.of(x[0], 3, 5), Ref.of(wtv, 5, 6)).v());
    }

    @Test
    void linearWithFrozenBf16Weight() {
        Tensor w32 = Tensor.randn(g, 1f, 6, 5);
        Tensor wBf16 = w32.to(DType.BF16);
        double[] wRounded = GradCheck.toDouble(wBf16.toFloatArray());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 5)}, t -> MatMul.linear(t[0], wBf16, null),
                x -> Ref.matmul(Ref.of(x[0], 3, 5), Ref.of(wRounded, 6, 5).transpose(0, 1)).v());
        assertThatThrownBy(() -> MatMul.linear(Tensor.zeros(1, 5), Tensor.zeros(DType.BF16, 6, 5).requiresGrad(true), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F32");
    }

    @Test
    void linearWithWeightOnANativeSegment() {
        try (Arena arena = Arena.ofConfined()) {
            float[] wv = Tensor.randn(g, 1f, 7, 5).toFloatArray();
            MemorySegment seg = arena.allocate(wv.length * 4L + 2).asSlice(2);   // unaligned, like an mmapped file
            for (int i = 0; i < wv.length; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, wv[i]);
            Tensor w = Tensor.wrap(seg, DType.F32, 7, 5);
            GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 5)}, t -> MatMul.linear(t[0], w, null),
                    x -> Ref.matmul(Ref.of(x[0], 4, 5), Ref.of(GradCheck.toDouble(wv), 7, 5).transpose(0, 1)).v());
            // a bf16 weight on a native segment
            MemorySegment bseg = arena.allocate(wv.length * 2L);
            double[] rounded = new double[wv.length];
            for (int i = 0; i < wv.length; i++) {
                short b = Precision.floatToBf16(wv[i]);
                bseg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, b);
                rounded[i] = Precision.bf16ToFloat(b);
            }
            Tensor wb = Tensor.wrap(bseg, DType.BF16, 7, 5);
            GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 5)}, t -> MatMul.linear(t[0], wb, null),
                    x -> Ref.matmul(Ref.of(x[0], 4, 5), Ref.of(rounded, 7, 5).transpose(0, 1)).v());
        }
    }

    private static Tensor leaf(Generator g, int... shape) {
        int kind = g.nextInt(3);
        return kind == 0 ? GradCheck.param(g, shape) : kind == 1 ? GradCheck.strided(g, shape) : GradCheck.spaced(g, shape);
    }

    private static int[] withMatrix(int[] batch, int rows, int cols) {
        int[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }

    @Test
    void randomShapesAndLayouts() {
        // broadcast batches of rank 0–2, size-1 dims, transposed views and three storage layouts per operand
        Generator r = new Generator(43);
        for (int iter = 0; iter < 80; iter++) {
            int m = 1 + r.nextInt(4), k = 1 + r.nextInt(4), n = 1 + r.nextInt(4), ra = r.nextInt(3), rb = r.nextInt(3);
            int[] batch = new int[Math.max(ra, rb)];
            for (int i = 0; i < batch.length; i++) batch[i] = 1 + r.nextInt(3);
            int[] ba = java.util.Arrays.copyOfRange(batch, batch.length - ra, batch.length);
            int[] bb = java.util.Arrays.copyOfRange(batch, batch.length - rb, batch.length);
            for (int i = 0; i < ba.length; i++) if (r.nextInt(3) == 0) ba[i] = 1;
            for (int i = 0; i < bb.length; i++) if (r.nextInt(3) == 0) bb[i] = 1;
            boolean ta = r.nextInt(2) == 0, tb = r.nextInt(2) == 0;
            int[] sa = ta ? withMatrix(ba, k, m) : withMatrix(ba, m, k), sb = tb ? withMatrix(bb, n, k) : withMatrix(bb, k, n);
            Tensor a = leaf(r, sa), b = leaf(r, sb);
            String what = java.util.Arrays.toString(sa) + (ta ? "ᵀ" : "") + " · " + java.util.Arrays.toString(sb) + (tb ? "ᵀ" : "");
            try {
                GradCheck.check(new Tensor[]{a, b}, t -> (ta ? t[0].transpose(-1, -2) : t[0]).matmul(tb ? t[1].transpose(-1, -2) : t[1]),
                        x -> Ref.matmul(ta ? Ref.of(x[0], sa).transpose(-1, -2) : Ref.of(x[0], sa),
                                tb ? Ref.of(x[1], sb).transpose(-1, -2) : Ref.of(x[1], sb)).v());
            } catch (AssertionError e) {
                throw new AssertionError(what, e);
            }
        }
    }

    @Test
    void largerProductsAgreeWithTheReference() {
        Tensor a = Tensor.randn(g, 1f, 2, 67, 130), b = Tensor.randn(g, 1f, 130, 129);
        float[] got = a.matmul(b).toFloatArray();
        double[] want = Ref.matmul(Ref.of(GradCheck.toDouble(a.toFloatArray()), 2, 67, 130),
                Ref.of(GradCheck.toDouble(b.toFloatArray()), 130, 129)).v();
        GradCheck.assertClose("product", got, want, 1e-5);
    }
}
