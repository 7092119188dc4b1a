package dev.qlora4j.tensor.quant;

import java.util.Arrays;

/**
 * The signed 8-bit dynamic map of bitsandbytes ({@code create_dynamic_map()}: 7 exponent bits,
 * 256 sorted float32 values in [-0.99296874, 1] with an exact 0 at index 127), used by double
 * quantization to store the 4-bit blocks' absmax values in 8 bits, and the nearest-code rule of
 * its blockwise quantizer.
 *
 * <p>Built as bitsandbytes builds it, in float32: for each decade 10^-6 .. 10^0, the midpoints of
 * a {@code torch.linspace(0.1, 1, 2^i + 1)} scaled by ± that decade, then 0 and 1, sorted. The
 * linspace values are torch's CPU formula (from the start for the first half, from the end for the
 * second), each a fused multiply-add as the compiler contracts it.
 */
public final class DynamicMap {
    private DynamicMap() {}

    /** 10^(i-6) as the correctly rounded doubles Python's {@code 10 ** (i - 6)} produces. */
    private static final double[] DECADES = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};

    static final float[] CODE = build(true);
    /** MID[i] = (CODE[i] + CODE[i+1]) / 2 in float32. */
    static final float[] MID = midpoints(CODE);
    /** {@code create_dynamic_map(signed=False)}: 256 values in [0, 1], twice as fine per decade (8-bit Adam's second moment). */
    static final float[] UNSIGNED = build(false);
    static final float[] UNSIGNED_MID = midpoints(UNSIGNED);

    /** The 256 map values (a copy). */
    public static float[] values() {
        return CODE.clone();
    }

    /** The 256 values of the unsigned map (a copy). */
    public static float[] unsignedValues() {
        return UNSIGNED.clone();
    }

    /** The code of a value scaled into [-1, 1]: the count of midpoints strictly below it (ties go low). */
    public static int code(float scaled) {
        return nearest(MID, scaled);
    }

    /** The same in the unsigned map, for a value scaled into [0, 1]. */
    public static int unsignedCode(float scaled) {
        return nearest(UNSIGNED_MID, scaled);
    }

    private static int nearest(float[] mid, float scaled) {
        int lo = 0, hi = 255;
        while (lo < hi) {
            int m = (lo + hi) >>> 1;
            if (mid[m] < scaled) lo = m + 1;
            else hi = m;
        }
        return lo;
    }

    private static float[] midpoints(float[] code) {
        float[] mid = new float[255];
        for (int i = 0; i < 255; i++) mid[i] = (code[i] + code[i + 1]) / 2f;
        return mid;
    }

    /** bitsandbytes' {@code create_dynamic_map(signed)} with 7 exponent bits and 8 bits in all. */
    private static float[] build(boolean signed) {
        float[] data = new float[256];
        int n = 0;
        for (int i = 0; i < DECADES.length; i++) {
            float[] bounds = linspace(0.1f, 1f, (1 << (signed ? i : i + 1)) + 1);
            float scale = (float) DECADES[i];
            for (int j = 0; j + 1 < bounds.length; j++) {
                float mean = (bounds[j] + bounds[j + 1]) / 2f;
                data[n++] = scale * mean;
                if (signed) data[n++] = -scale * mean;
            }
        }
        data[n++] = 0f;
        data[n++] = 1f;
        if (n != 256) throw new AssertionError(n);
        Arrays.sort(data);
        return data;
    }

    /** torch.linspace(start, end, steps) in float32 on the CPU. */
    static float[] linspace(float start, float end, int steps) {
        float[] out = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++)
            out[i] = i < halfway ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (steps - i - 1), end);
        return out;
    }
}
