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
        for (Tensor v : new Tensor[]{t, n, s, e, x.view(-1), x.unsqueeze(1), x.slice(2, 1, 3), x.select(1, -1)})
            assertThat(v.segment()).isSameAs(x.segment());
    }

    @Test
    void writesThroughEveryKindOfViewAreVisibleInTheSource() {
        Tensor x = Tensor.zeros(2, 3, 4);
        x.view(6, 4).set(1f, 5, 0);                    // x[1, 2, 0]
        x.reshape(-1).set(2f, 1);                      // x[0, 0, 1]
        x.permute(1, 2, 0).set(3f, 1, 3, 0);           // x[0, 1, 3]
        x.slice(2, 2, 4).set(4f, 1, 0, 1);             // x[1, 0, 3]
        x.select(1, -1).set(5f, 0, 2);                 // x[0, 2, 2]
        x.unsqueeze(0).set(6f, 0, 1, 1, 1);            // x[1, 1, 1]
        x.narrow(0, 1, 1).squeeze(0).set(7f, 2, 3);    // x[1, 2, 3]
        x.split(1, 1, 2).get(1).set(8f, 0, 0, 0);      // x[0, 1, 0]
        assertThat(x.get(1, 2, 0)).isEqualTo(1f);
        assertThat(x.get(0, 0, 1)).isEqualTo(2f);
        assertThat(x.get(0, 1, 3)).isEqualTo(3f);
        assertThat(x.get(1, 0, 3)).isEqualTo(4f);
        assertThat(x.get(0, 2, 2)).isEqualTo(5f);
        assertThat(x.get(1, 1, 1)).isEqualTo(6f);
        assertThat(x.get(1, 2, 3)).isEqualTo(7f);
        assertThat(x.get(0, 1, 0)).isEqualTo(8f);
        // and writes to the source show through the views
        Tensor col = x.select(2, 0), ex = x.narrow(0, 0, 1).expand(3, 3, 4);
        x.set(9f, 0, 2, 0);
        assertThat(col.get(0, 2)).isEqualTo(9f);
        assertThat(ex.get(2, 2, 0)).isEqualTo(9f);
    }

    @Test
    void copiesOwnStorage() {
        Tensor x = Tensor.arange(6).reshape(2, 3);
        Tensor c = x.t().contiguous();
        assertThat(c.isContiguous()).isTrue();
        assertThat(c.segment()).isNotSameAs(x.segment());
        assertThat(c.toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
        c.set(42f, 0, 0);
        assertThat(x.get(0, 0)).isZero();
        Tensor r = x.t().reshape(6);                    // not viewable: a copy
        assertThat(r.toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
        r.set(-1f, 1);
        assertThat(x.get(1, 0)).isEqualTo(3f);
        assertThat(x.contiguous()).isSameAs(x);         // already contiguous: no copy
        Tensor own = x.copy();
        own.set(50f, 1, 1);
        assertThat(x.get(1, 1)).isEqualTo(4f);
        Tensor e = Tensor.vector(1f, 2f).expand(3, 2).contiguous();
        e.set(0f, 0, 0);
        assertThat(e.toFloatArray()).containsExactly(0, 2, 1, 2, 1, 2);
    }

    @Test
    void reshapeInfersOneDimension() {
        assertThat(Tensor.zeros(2, 3, 4).reshape(-1, 4).shape()).containsExactly(6, 4);
        assertThat(Tensor.zeros(2, 3, 4).view(2, -1).shape()).containsExactly(2, 12);
        assertThat(Tensor.zeros(2, 3, 4).reshape(4, 1, -1).shape()).containsExactly(4, 1, 6);
        assertThat(Tensor.zeros(2, 3).flatten().shape()).containsExactly(6);
        assertThat(Tensor.scalar(3f).reshape(1, 1).shape()).containsExactly(1, 1);
        assertThat(Tensor.zeros(1, 1).reshape().shape()).isEmpty();
        assertThat(Tensor.zeros(0, 3).reshape(3, -1).shape()).containsExactly(3, 0);
    }

    @Test
    void badShapesAreRejectedWithAMessage() {
        assertThatThrownBy(() -> Tensor.zeros(2, 3).reshape(4, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot reshape 6 elements").hasMessageContaining("[4, -1]");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).reshape(5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot reshape 6 elements");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).view(-1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only one dimension can be -1");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).reshape(-2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative dimension");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).t().view(6)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("reshape");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).expand(4, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot expand [2, 3] to [4, 3]");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).expand(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fewer dimensions");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).squeeze(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("size 2");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).transpose(0, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dimension 2 out of range for rank 2");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).permute(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("permute");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).permute(1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("repeated");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).unsqueeze(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).narrow(1, 2, 2)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("narrow(1, 2, 2) of [2, 3]");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).select(0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Tensor.zeros(2, 3).select(0, -3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 values");
    }

    // ---------------------------------------------------------------- gradients through each view

    @Test
    void reshapeAndViewGradients() {
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4)}, t -> t[0].view(-1, 4).mul(2f),
                x -> Ref.of(x[0], 6, 4).map(v -> 2 * v).v());
        // a non-contiguous source: reshape copies, and the gradient still lands in the right places
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 4)}, t -> t[0].reshape(4, -1).narrow(1, 0, 5),
                x -> Ref.of(x[0], 4, 6).narrow(1, 0, 5).v());
    }

    @Test
    void transposeAndPermuteGradients() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 5)}, t -> t[0].t().contiguous(),
                x -> Ref.of(x[0], 3, 5).transpose(0, 1).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4)}, t -> t[0].transpose(-1, 0).square(),
                x -> Ref.of(x[0], 2, 3, 4).transpose(2, 0).map(v -> v * v).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 4, 2)}, t -> t[0].permute(2, 0, 3, 1),
                x -> Ref.of(x[0], 2, 3, 4, 2).permute(2, 0, 3, 1).v());
    }

    @Test
    void narrowSliceAndSelectGradients() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 4, 5)}, t -> t[0].narrow(0, 1, 2),
                x -> Ref.of(x[0], 4, 5).narrow(0, 1, 2).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 6, 3)}, t -> t[0].slice(1, 2, 5).tanh(),
                x -> Ref.of(x[0], 2, 6, 3).narrow(1, 2, 3).map(Math::tanh).v());
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 4)}, t -> t[0].select(-1, -1),
                x -> Ref.of(x[0], 2, 3, 4).select(2, 3).v());
        GradCheck.check(new Tensor[]{GradCheck.spaced(g, 3, 4)}, t -> t[0].select(0, 1).mul(t[0].select(0, 2)),
                x -> {
                    Ref r = Ref.of(x[0], 3, 4);
                    return Ref.binary(r.select(0, 1), r.select(0, 2), (a, b) -> a * b).v();
                });
        // overlapping narrows of the same tensor: both gradients add up
        GradCheck.check(new Tensor[]{GradCheck.param(g, 6)}, t -> t[0].narrow(0, 0, 4).add(t[0].narrow(0, 2, 4)),
                x -> Ref.binary(Ref.of(x[0], 6).narrow(0, 0, 4), Ref.of(x[0], 6).narrow(0, 2, 4), Double::sum).v());
    }

    @Test
    void expandGradientsSumOverTheBroadcastDims() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 1)}, t -> t[0].expand(2, 3, 4),
                x -> Ref.of(x[0], 3, 1).expand(2, 3, 4).v());
        GradCheck.check(new Tensor[]{GradCheck.spaced(g, 4)}, t -> t[0].expand(3, -1).mul(Tensor.arange(12).reshape(3, 4)),
                x -> Ref.binary(Ref.of(x[0], 4).expand(3, 4), Ref.of(GradCheck.toDouble(Tensor.arange(12).toFloatArray()), 3, 4),
                        (a, b) -> a * b).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g)}, t -> t[0].expand(2, 2),
                x -> Ref.of(x[0]).expand(2, 2).v());
        Tensor same = Tensor.zeros(2, 3);
        assertThat(same.expand(2, 3)).isSameAs(same);
        assertThat(same.expand(-1, 3).shape()).containsExactly(2, 3);
    }

    @Test
    void unsqueezeAndSqueezeGradients() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 4)}, t -> t[0].unsqueeze(1).expand(3, 2, 4),
                x -> Ref.of(x[0], 3, 1, 4).expand(3, 2, 4).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 3, 1, 2)}, t -> t[0].squeeze(1).unsqueeze(-1).contiguous().tanh(),
                x -> Ref.of(x[0], 3, 2, 1).map(Math::tanh).v());
        assertThat(Tensor.zeros(2, 3).unsqueeze(-1).shape()).containsExactly(2, 3, 1);
        assertThat(Tensor.zeros(2, 3).unsqueeze(0).shape()).containsExactly(1, 2, 3);
        assertThat(Tensor.zeros(2, 1).squeeze(-1).shape()).containsExactly(2);
    }

    @Test
    void chainOfViewsGradient() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 2, 3, 4)},
                t -> t[0].transpose(0, 2).reshape(4, 6).narrow(1, 1, 4).unsqueeze(0).squeeze(0).square(),
                x -> Ref.of(x[0], 2, 3, 4).transpose(0, 2).reshape(4, 6).narrow(1, 1, 4).map(v -> v * v).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 2, 3, 4)}, t -> t[0].permute(1, 2, 0).select(1, 2).mul(2f),
                x -> Ref.of(x[0], 2, 3, 4).permute(1, 2, 0).select(1, 2).map(v -> 2 * v).v());
    }

    // ---------------------------------------------------------------- foreign storage

    @Test
    void wrapsNativeSegments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4 * 6 + 1);
            MemorySegment unaligned = seg.asSlice(1);
            for (int i = 0; i < 6; i++) unaligned.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i * 0.5f);
            Tensor t = Tensor.wrap(unaligned, DType.F32, 2, 3);
            assertThat(t.isDenseF32()).isFalse();
            assertThat(t.t().contiguous().toFloatArray()).containsExactly(0f, 1.5f, 0.5f, 2f, 1f, 2.5f);
            assertThat(t.add(t).get(1, 2)).isEqualTo(5f);
            assertThat(t.exp().log().toFloatArray()).containsExactly(t.exp().log().toFloatArray());
            assertThatThrownBy(() -> Tensor.wrap(unaligned, DType.F32, 3, 3)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("too small");
        }
    }

    @Test
    void floatArraySliceAtAnOddByteOffsetIsReadThroughTheSegment() {
        // floats that straddle the elements of the float[] behind the segment
        MemorySegment seg = MemorySegment.ofArray(new float[8]).asSlice(2);
        for (int i = 0; i < 6; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i + 1);
        Tensor t = Tensor.wrap(seg, DType.F32, 2, 3);
        assertThat(t.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(t.isDenseF32()).isFalse();
        assertThat(t.add(0f).toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(t.mul(t).toFloatArray()).containsExactly(1, 4, 9, 16, 25, 36);
        assertThat(t.t().contiguous().toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(t.dense().toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        Tensor dst = Tensor.wrap(MemorySegment.ofArray(new float[8]).asSlice(6), DType.F32, 2, 3);
        dst.copyFrom(t.t().t());
        assertThat(dst.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        // a slice at a whole-float offset is used directly
        Tensor aligned = Tensor.wrap(MemorySegment.ofArray(new float[]{9, 1, 2, 3}).asSlice(4), DType.F32, 3);
        assertThat(aligned.isDenseF32()).isTrue();
        assertThat(aligned.arrayOffset()).isEqualTo(1);
        assertThat(aligned.mul(2f).toFloatArray()).containsExactly(2, 4, 6);
    }

    @Test
    void copyFromBroadcastsAndConverts() {
        Tensor dst = Tensor.zeros(DType.BF16, 2, 3);
        dst.copyFrom(Tensor.vector(1f, 2f, 3f));
        assertThat(dst.toFloatArray()).containsExactly(1, 2, 3, 1, 2, 3);
        Tensor col = Tensor.zeros(3, 2).t();           // a non-contiguous destination
        col.copyFrom(Tensor.ofInts(new int[]{4, 5, 6}, 3));
        assertThat(col.toFloatArray()).containsExactly(4, 5, 6, 4, 5, 6);
        Tensor ids = Tensor.zeros(DType.I64, 2);
        ids.copyFrom(Tensor.ofInts(new int[]{16_777_217, 2}, 2));
        assertThat(ids.toLongArray()).containsExactly(16_777_217, 2);
    }
}
