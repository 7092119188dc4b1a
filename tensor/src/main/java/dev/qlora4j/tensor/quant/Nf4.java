package dev.qlora4j.tensor.quant;

/**
 * The NF4 code book of bitsandbytes ({@code get_4bit_type("nf4")}): 16 sorted values in [-1, 1]
 * (quantiles of a normal distribution, with an exact zero at index 7), and the nearest-code rule
 * of its quantizer.
 *
 * <p>bitsandbytes lists the values as Python floats and turns them into a float32 tensor, so each
 * is the float32 nearest to that double; writing them as float literals could round differently
 * (decimal → float directly instead of decimal → double → float).
 */
public final class Nf4 {
    private Nf4() {}

    private static final double[] LISTED = {
            -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
            -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
            0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
            0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0};

    static final float[] CODE = new float[16];
    /** MID[i] = (CODE[i] + CODE[i+1]) / 2 in float32, the decision thresholds. */
    static final float[] MID = new float[15];

    static {
        for (int i = 0; i < 16; i++) CODE[i] = (float) LISTED[i];
        for (int i = 0; i < 15; i++) MID[i] = (CODE[i] + CODE[i + 1]) / 2f;
    }

    /** The 16 code values (a copy). */
    public static float[] codebook() {
        return CODE.clone();
    }

    /** The 15 float32 midpoints between neighbouring codes (a copy). */
    public static float[] midpoints() {
        return MID.clone();
    }

    /**
     * The code of a value already scaled into [-1, 1]: how many midpoints lie strictly below it
     * ({@code torch.bucketize(right=False)}), i.e. the nearest code with ties going to the lower one.
     */
    public static int code(float scaled) {
        int lo = 0, hi = 15;   // answer in [lo, hi]
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (MID[mid] < scaled) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
