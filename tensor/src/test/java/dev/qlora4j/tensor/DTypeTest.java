package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tensor-level dtype behaviour: conversions with {@link Tensor#to}, storage of each type, element access. */
class DTypeTest {
    private static float bits(int b) {
        return Float.intBitsToFloat(b);
    }

    @Test
    void toBf16RoundsHalfwayValuesToEven() {
        Tensor x = Tensor.vector(bits(0x3f808000), bits(0x3f818000), bits(0x3f808001), bits(0x3f807fff),
                bits(0xbf818000), Float.MAX_VALUE, 1e-40f);
        Tensor bf = x.to(DType.BF16);
        assertThat(bf.dtype()).isEqualTo(DType.BF16);
        assertThat(bf.segment().byteSize()).isEqualTo(7 * 2);
        assertThat(bf.toFloatArray()).containsExactly(bits(0x3f800000), bits(0x3f820000), bits(0x3f810000),
                bits(0x3f800000), bits(0xbf820000), Float.POSITIVE_INFINITY, bits(0x00010000));   // 1e-40 = 0x000116c2 rounds down
        short[] raw = new short[7];
        MemorySegment.copy(bf.segment(), ValueLayout.JAVA_SHORT_UNALIGNED, 0, raw, 0, 7);
        assertThat(raw[0]).isEqualTo((short) 0x3f80);
        assertThat(raw[1]).isEqualTo((short) 0x3f82);
    }

    @Test
    void toF16RoundsOverflowsAndKeepsSubnormals() {
        Tensor x = Tensor.vector(1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 65504f, 65519f, 65520f, -1e6f,
                0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-14f * 0.75f);
        assertThat(x.to(DType.F16).toFloatArray()).containsExactly(1f, 1f + 0x1p-9f, 65504f, 65504f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1p-24f, 0f, 0x1p-24f, 0x1p-14f * 0.75f);
    }

    @Test
    void specialValuesSurviveEveryFloatType() {
        Tensor x = Tensor.vector(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, bits(0x7f800001));
        for (DType t : new DType[]{DType.BF16, DType.F16, DType.F64}) {
            float[] y = x.to(t).to(DType.F32).toFloatArray();
            assertThat(y[0]).as(t + " NaN").isNaN();
            assertThat(y[1]).as(t.toString()).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(y[2]).as(t.toString()).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(Float.floatToRawIntBits(y[3])).as(t + " -0").isEqualTo(0x80000000);
            assertThat(y[4]).as(t + " NaN with a low payload").isNaN();
        }
    }

    @Test
    void roundTripsAreExactWhereTheNarrowerTypeHoldsTheValue() {
        Generator g = new Generator(21);
        Tensor x = Tensor.randn(g, 3f, 4, 33);
        Tensor bf = x.to(DType.BF16), hf = x.to(DType.F16);
        float[] xv = x.toFloatArray(), bv = bf.toFloatArray(), hv = hf.toFloatArray();
        for (int i = 0; i < xv.length; i++) {
            assertThat(bv[i]).isEqualTo(Precision.roundToBf16(xv[i]));
            assertThat(hv[i]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(xv[i])));
        }
        // narrower → wider → narrower gives back the same bits; F64 holds every float exactly
        assertThat(bf.to(DType.F32).to(DType.BF16).toFloatArray()).containsExactly(bv);
        assertThat(hf.to(DType.F32).to(DType.F16).toFloatArray()).containsExactly(hv);
        assertThat(bf.to(DType.F64).to(DType.BF16).toFloatArray()).containsExactly(bv);
        assertThat(x.to(DType.F64).to(DType.F32).toFloatArray()).containsExactly(xv);
        // same type: a copy in fresh storage
        Tensor same = x.to(DType.F32);
        assertThat(same.segment()).isNotSameAs(x.segment());
        assertThat(same.toFloatArray()).containsExactly(xv);
    }

    @Test
    void conversionOfANonContiguousViewIsRowMajor() {
        Tensor x = Tensor.arange(6).reshape(2, 3).t();
        for (DType t : new DType[]{DType.F32, DType.BF16, DType.F16, DType.F64, DType.I32, DType.I64, DType.U8}) {
            Tensor y = x.to(t);
            assertThat(y.isContiguous()).isTrue();
            assertThat(y.shape()).containsExactly(3, 2);
            assertThat(y.toFloatArray()).as(t.toString()).containsExactly(0, 3, 1, 4, 2, 5);
        }
    }

    @Test
    void floatToIntegerConversionsTruncateLikeTorch() {
        Tensor x = Tensor.vector(-2.7f, -0.5f, 0f, 0.9f, 3.5f, 1e9f);
        assertThat(x.to(DType.I32).toIntArray()).containsExactly(-2, 0, 0, 0, 3, 1_000_000_000);
        assertThat(x.to(DType.I64).toLongArray()).containsExactly(-2, 0, 0, 0, 3, 1_000_000_000);
        assertThat(x.to(DType.BOOL).toLongArray()).containsExactly(1, 1, 0, 1, 1, 1);
        assertThat(Tensor.vector(200f, 7f).to(DType.U8).toLongArray()).containsExactly(200, 7);
        assertThat(Tensor.vector(-5f).to(DType.I8).getLong(0)).isEqualTo(-5);
        // integer ↔ integer keeps every bit that fits
        Tensor big = Tensor.zeros(DType.I64, 2);
        big.setLong(3_000_000_001L, 0);
        big.setLong(-(1L << 40) - 1, 1);
        assertThat(big.to(DType.I64).toLongArray()).containsExactly(3_000_000_001L, -(1L << 40) - 1);
        assertThat(Tensor.ofInts(new int[]{16_777_217, -3}, 2).to(DType.I64).toLongArray()).containsExactly(16_777_217, -3);
        assertThat(Tensor.ofInts(new int[]{0, 5}, 2).to(DType.BOOL).toLongArray()).containsExactly(0, 1);
    }

    @Test
    void integerStorageGetAndSet() {
        Tensor i32 = Tensor.zeros(DType.I32, 2, 2);
        i32.setLong(16_777_217, 1, 0);             // above 2^24: not representable as a float
        i32.set(-42f, 0, 1);
        assertThat(i32.getLong(1, 0)).isEqualTo(16_777_217);
        assertThat(i32.toIntArray()).containsExactly(0, -42, 16_777_217, 0);
        assertThat(i32.segment().byteSize()).isEqualTo(16);

        Tensor i64 = Tensor.zeros(DType.I64, 3);
        i64.setLong(Long.MAX_VALUE, 0);
        i64.setLong(Long.MIN_VALUE, 1);
        i64.set(7f, 2);
        assertThat(i64.toLongArray()).containsExactly(Long.MAX_VALUE, Long.MIN_VALUE, 7);
        assertThat(i64.get(2)).isEqualTo(7f);

        Tensor u8 = Tensor.zeros(DType.U8, 2);
        u8.set(255f, 0);
        u8.setLong(128, 1);
        assertThat(u8.toLongArray()).containsExactly(255, 128);
        assertThat(u8.get(0)).isEqualTo(255f);

        Tensor i8 = Tensor.zeros(DType.I8, 2);
        i8.setLong(-128, 0);
        i8.set(127f, 1);
        assertThat(i8.toLongArray()).containsExactly(-128, 127);

        Tensor b = Tensor.zeros(DType.BOOL, 4);
        b.set(5f, 1);
        b.setLong(-1, 2);
        b.set(0f, 3);
        assertThat(b.toLongArray()).containsExactly(0, 1, 1, 0);
        assertThat(b.segment().byteSize()).isEqualTo(4);

        assertThatThrownBy(() -> i32.setLong(1, 2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> i32.getLong(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rank");
    }

    @Test
    void floatStorageGetAndSet() {
        for (DType t : new DType[]{DType.F32, DType.BF16, DType.F16, DType.F64}) {
            Tensor x = Tensor.zeros(t, 2, 3);
            assertThat(x.segment().byteSize()).isEqualTo(6L * t.byteSize());
            x.set(1.5f, 1, 2);
            x.setLong(-3, 0, 0);
            assertThat(x.get(1, 2)).isEqualTo(1.5f);
            assertThat(x.getLong(0, 0)).isEqualTo(-3);
            assertThat(x.t().get(2, 1)).isEqualTo(1.5f);
        }
        Tensor bf = Tensor.zeros(DType.BF16, 1);
        bf.set(bits(0x3f818000), 0);                  // stored rounded
        assertThat(bf.get(0)).isEqualTo(bits(0x3f820000));
    }

    @Test
    void onlyFloatingTensorsTakeGradients() {
        for (DType t : new DType[]{DType.I32, DType.I64, DType.I8, DType.U8, DType.BOOL})
            assertThatThrownBy(() -> Tensor.zeros(t, 2).requiresGrad(true)).as(t.toString())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("floating");
        // integer tensors still take part in arithmetic (as F32), without gradients
        Tensor ids = Tensor.ofInts(new int[]{1, 2, 3}, 3);
        Tensor y = ids.mul(2f).add(Tensor.vector(0.5f, 0.5f, 0.5f));
        assertThat(y.dtype()).isEqualTo(DType.F32);
        assertThat(y.toFloatArray()).containsExactly(2.5f, 4.5f, 6.5f);
    }

    @Test
    void gradientsFlowThroughFloatConversions() {
        Generator g = new Generator(22);
        Tensor p = GradCheck.strided(g, 3, 4);
        // to(F64) and back is exact, so the reference is the identity times 3
        GradCheck.check(new Tensor[]{p}, t -> t[0].to(DType.F64).to(DType.F32).mul(3f),
                x -> Ref.of(x[0], 3, 4).map(v -> 3 * v).v());
        Tensor q = Tensor.vector(1f, 2f).requiresGrad(true);
        q.to(DType.BF16).mul(Tensor.vector(3f, 4f)).sum().backward();
        q.to(DType.F16).to(DType.F32).mul(Tensor.vector(1f, 1f)).sum().backward();
        assertThat(q.grad().toFloatArray()).containsExactly(4f, 5f);
        assertThat(q.to(DType.I32).requiresGrad()).isFalse();
    }

    @Test
    void safetensorsNames() {
        assertThat(DType.fromSafetensors("BF16")).isEqualTo(DType.BF16);
        assertThat(DType.fromSafetensors("I64")).isEqualTo(DType.I64);
        assertThat(DType.fromSafetensors("F8_E4M3")).isNull();
        assertThat(DType.BF16.byteSize()).isEqualTo(2);
        assertThat(DType.BOOL.isFloatingPoint()).isFalse();
    }
}
