package dev.qlora4j.tensor;

/**
 * Conversions between fp32 and the 16-bit float formats. Both round to nearest, ties to even, and
 * keep NaN (as a quiet NaN) and ±Inf.
 */
public final class Precision {
    private Precision() {}

    /** bf16 bits → fp32: bf16 is the upper half of an fp32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** fp32 → bf16 bits, round to nearest even; NaN stays NaN (quiet bit set so truncation can't make it Inf). */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x0040);
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** IEEE binary16 bits → fp32 (exact). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** fp32 → IEEE binary16 bits, round to nearest even, overflow to ±Inf, NaN kept. */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** Rounds an fp32 value to the nearest bf16 value (as an fp32). */
    public static float roundToBf16(float f) {
        return bf16ToFloat(floatToBf16(f));
    }
}
