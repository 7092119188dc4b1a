package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrecisionTest {
    private static float bits(int b) {
        return Float.intBitsToFloat(b);
    }

    @Test
    void bf16RoundsToNearestEven() {
        // exactly halfway between two bf16 values: ties go to the even mantissa
        assertThat(Precision.floatToBf16(bits(0x3f808000))).isEqualTo((short) 0x3f80);   // even below
        assertThat(Precision.floatToBf16(bits(0x3f818000))).isEqualTo((short) 0x3f82);   // odd below → up
        assertThat(Precision.floatToBf16(bits(0x3f808001))).isEqualTo((short) 0x3f81);   // above half → up
        assertThat(Precision.floatToBf16(bits(0x3f807fff))).isEqualTo((short) 0x3f80);   // below half → down
        assertThat(Precision.floatToBf16(bits(0xbf818000))).isEqualTo((short) 0xbf82);   // sign symmetric
        // rounding can carry into the exponent, and the largest finite values round to Inf
        assertThat(Precision.floatToBf16(bits(0x3fffffff))).isEqualTo((short) 0x4000);
        assertThat(Precision.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7f80);
    }

    @Test
    void bf16KeepsSpecials() {
        assertThat(Precision.floatToBf16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7f80);
        assertThat(Precision.floatToBf16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xff80);
        // a NaN whose payload lives only in the low bits must not turn into Inf
        assertThat(Float.isNaN(Precision.bf16ToFloat(Precision.floatToBf16(bits(0x7f800001))))).isTrue();
        assertThat(Float.isNaN(Precision.bf16ToFloat(Precision.floatToBf16(Float.NaN)))).isTrue();
        assertThat(Precision.floatToBf16(-0f)).isEqualTo((short) 0x8000);
        // subnormals round like everything else
        assertThat(Precision.floatToBf16(bits(0x00008000))).isEqualTo((short) 0x0000);
        assertThat(Precision.floatToBf16(bits(0x00018000))).isEqualTo((short) 0x0002);
        assertThat(Precision.bf16ToFloat((short) 0x0001)).isEqualTo(bits(0x00010000));
    }

    @Test
    void f16RoundsToNearestEvenAndOverflowsToInf() {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1)
        assertThat(Precision.floatToF16(1f + 0x1p-11f)).isEqualTo((short) 0x3c00);
        assertThat(Precision.floatToF16(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3c02);
        assertThat(Precision.floatToF16(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Precision.floatToF16(65520f)).isEqualTo((short) 0x7c00);              // rounds up to Inf
        assertThat(Precision.floatToF16(-1e6f)).isEqualTo((short) 0xfc00);
        assertThat(Precision.f16ToFloat((short) 0x0001)).isEqualTo(0x1p-24f);            // smallest subnormal
        assertThat(Precision.floatToF16(0x1p-25f)).isEqualTo((short) 0x0000);             // tie → even (0)
        assertThat(Precision.floatToF16(0x1.8p-25f)).isEqualTo((short) 0x0001);
        assertThat(Float.isNaN(Precision.f16ToFloat(Precision.floatToF16(Float.NaN)))).isTrue();
        assertThat(Precision.f16ToFloat(Precision.floatToF16(Float.NEGATIVE_INFINITY))).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void bf16MatchesAnIndependentRounding() {
        Generator g = new Generator(99);
        for (int i = 0; i < 200_000; i++) {
            int b = (int) g.nextLong();
            float f = bits(b);
            if (Float.isNaN(f)) continue;
            // reference: pick the nearer of the two bf16 neighbours in double, ties to even
            double lo = Float.intBitsToFloat(b & 0xffff0000), hi = Float.intBitsToFloat((b & 0xffff0000) + 0x10000);
            int loBits = (b >>> 16) & 0xffff;
            double dLo = Math.abs(f - lo), dHi = Math.abs(hi - f);
            int want = dLo < dHi || dLo == dHi && (loBits & 1) == 0 ? loBits : (loBits + 1) & 0xffff;
            if (Double.isNaN(hi) || Double.isInfinite(hi) || Float.isInfinite(f)) continue;   // overflow: tested above
            assertThat(Precision.floatToBf16(f) & 0xffff).as("0x%08x", b).isEqualTo(want);
        }
    }
}
