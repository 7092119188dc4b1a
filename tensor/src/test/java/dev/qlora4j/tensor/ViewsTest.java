package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ViewsTest {
    private final Generator g = new Generator(3);

    @Test
    void viewsShareStorage() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        Tensor t = x.transpose(0, 2), n = x.narrow(1, 1, 2), s = x.select(2, 3), e = x.select(0, 0).select(0, 0).unsqueeze(0).expand(5, 4);
        t.set(100f, 3, 2, 1);                          // x[1, 2, 3]
        assertThat(x.get(1, 2, 3)).isEqualTo(100f);
        assertThat(n.get(1, 1, 3)).isEqualTo(100f);
        assertThat(s.get(1, 2)).isEqualTo(100f);
        x.set(-7f, 0, 0, 2);
        assertThat(e.get(4, 2)).isEqualTo(-7f);
        assertThat(x.reshape(6, 4).get(5, 3)).isEqualTo(100f);
        assertThat(x.permute(2, 0, 1).get(3, 1, 2)).isEqualTo(100f);
        assertThat(t.isContiguous()).isFalse();
        assertThat(e.strides()).containsExactly(0, 1);
    }

    @Test
    void copiesOwnStorage() {
        Tensor x = Tensor.arange(6).reshape(2, 3);
        Tensor c = x.t().contiguous();
        assertThat(c.isContiguous()).isTrue();
        assertThat(c.toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
        c.set(42f, 0, 0);
        assertThat(x.get(0, 0)).isZero();
        Tensor r = x.t().reshape(6);                    // not viewable: a copy
        assertThat(r.toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
    }

    @Test
    void reshapeInfersOneDimension() {
        assertThat(Tensor.zeros(2, 3, 4).reshape(-1, 4).shape()).containsExactly(6, 4);
        assertThat(Tensor.zeros(2, 3, 4).view(2, -1).shape()).containsExactly(2, 12);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).reshape(4, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot reshape 6 elements");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).reshape(-1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).t().view(6)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).expand(4, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).narrow(1, 2, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).squeeze(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gradientsThroughViews() {
        Tensor x = GradCheck.strided(g, 2, 3, 4);
        GradCheck.check(new Tensor[]{x}, t -> t[0].transpose(0, 2).reshape(4, 6).narrow(1, 1, 4).square(),
                in -> narrowRef(Ref.of(in[0], 2, 3, 4).transpose(0, 2).reshape(4, 6), 1, 4).map(v -> v * v).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4)}, t -> t[0].permute(1, 2, 0).select(1, 2).mul(2f),
                in -> {
                    Ref p = Ref.of(in[0], 2, 3, 4).permute(1, 2, 0);   // [3, 4, 2]
                    double[] o = new double[6];
                    for (int i = 0; i < 3; i++) for (int k = 0; k < 2; k++) o[i * 2 + k] = 2 * p.at(i, 2, k);
                    return o;
                });
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3)}, t -> t[0].unsqueeze(0).expand(4, 3).mul(Tensor.arange(12).reshape(4, 3)),
                in -> {
                    double[] o = new double[12];
                    for (int i = 0; i < 12; i++) o[i] = in[0][i % 3] * i;
                    return o;
                });
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 1, 2)}, t -> t[0].squeeze(1).unsqueeze(0).contiguous().tanh(),
                in -> Ref.of(in[0], 6).map(Math::tanh).v());
    }

    private static Ref narrowRef(Ref r, int start, int len) {
        int rows = r.shape()[0], cols = r.shape()[1];
        double[] o = new double[rows * len];
        for (int i = 0; i < rows; i++) for (int j = 0; j < len; j++) o[i * len + j] = r.at(i, start + j);
        return Ref.of(o, rows, len);
    }

    @Test
    void dtypeConversionsRoundTrip() {
        Tensor x = Tensor.vector(1f, -2.5f, 3.1415927f, 65504f, 1e-3f);
        Tensor bf = x.to(DType.BF16), hf = x.to(DType.F16);
        assertThat(bf.dtype()).isEqualTo(DType.BF16);
        for (int i = 0; i < 5; i++) {
            assertThat(bf.get(i)).isEqualTo(Precision.roundToBf16(x.get(i)));
            assertThat(hf.get(i)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(x.get(i))));
        }
        assertThat(bf.to(DType.F32).to(DType.BF16).to(DType.F32).toFloatArray()).containsExactly(bf.toFloatArray());
        Tensor ids = Tensor.vector(3f, -1f, 7f).to(DType.I64);
        assertThat(ids.toLongArray()).containsExactly(3, -1, 7);
        assertThat(ids.to(DType.I32).toIntArray()).containsExactly(3, -1, 7);
        assertThat(Tensor.vector(0f, 2f).to(DType.BOOL).toLongArray()).containsExactly(0, 1);
        assertThat(Tensor.vector(200f).to(DType.U8).getLong(0)).isEqualTo(200);
        Tensor p = Tensor.vector(1f, 2f).requiresGrad(true);
        p.to(DType.BF16).to(DType.F32).mul(Tensor.vector(3f, 4f)).sum().backward();
        assertThat(p.grad().toFloatArray()).containsExactly(3f, 4f);
    }

    @Test
    void wrapsNativeSegments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4 * 6 + 1);
            MemorySegment unaligned = seg.asSlice(1);
            for (int i = 0; i < 6; i++) unaligned.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i * 0.5f);
            Tensor t = Tensor.wrap(unaligned, DType.F32, 2, 3);
            assertThat(t.t().contiguous().toFloatArray()).containsExactly(0f, 1.5f, 0.5f, 2f, 1f, 2.5f);
            assertThat(t.add(t).get(1, 2)).isEqualTo(5f);
            assertThatThrownBy(() -> Tensor.wrap(unaligned, DType.F32, 3, 3)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void integerStorage() {
        Tensor i = Tensor.zeros(DType.I64, 2, 2);
        i.set(Long.MAX_VALUE >> 40, 1, 1);
        assertThat(i.getLong(1, 1)).isEqualTo(Long.MAX_VALUE >> 40);
        Tensor b = Tensor.zeros(DType.BOOL, 3);
        b.set(5f, 1);
        assertThat(b.toLongArray()).containsExactly(0, 1, 0);
        Tensor u = Tensor.zeros(DType.U8, 1);
        u.set(255f, 0);
        assertThat(u.getLong(0)).isEqualTo(255);
        assertThatThrownBy(() -> Tensor.zeros(DType.I32, 2).requiresGrad(true)).isInstanceOf(IllegalStateException.class);
    }
}
