package dev.qlora4j.model.config;

import java.util.Locale;

/**
 * Rotary position embedding parameters, normalised from either config.json style: the older
 * {@code rope_theta} + {@code rope_scaling} or transformers 5's {@code rope_parameters}.
 *
 * <p>{@link #inverseFrequencies} reproduces transformers' inverse-frequency functions in fp32, the
 * precision torch computes them in: the exponent {@code 2i/dim} is an fp32 quotient, the power and
 * its reciprocal are fp32, and Python scalars enter each operation rounded to fp32.
 *
 * @param type                           the rope_type
 * @param theta                          rope_theta, the base period
 * @param factor                         the scaling factor (linear, dynamic, llama3); 1 for default
 * @param lowFreqFactor                  llama3 only (NaN otherwise)
 * @param highFreqFactor                 llama3 only (NaN otherwise)
 * @param originalMaxPositionEmbeddings  llama3: the pre-training context length (0 otherwise)
 * @param partialRotaryFactor            fraction of head_dim that is rotated (1 for our families)
 */
public record RopeConfig(RopeType type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                         int originalMaxPositionEmbeddings, double partialRotaryFactor) {

    /** The rope types we implement, by their transformers names. */
    public enum RopeType {
        DEFAULT("default"), LINEAR("linear"), DYNAMIC("dynamic"), LLAMA3("llama3");

        private final String hfName;

        RopeType(String hfName) {
            this.hfName = hfName;
        }

        public String hfName() {
            return hfName;
        }

        public static RopeType fromHfName(String name) {
            for (RopeType t : values()) if (t.hfName.equals(name)) return t;
            return null;
        }

        static String supported() {
            return "default, linear, dynamic, llama3";
        }
    }

    public static RopeConfig defaultRope(double theta) {
        return new RopeConfig(RopeType.DEFAULT, theta, 1.0, Double.NaN, Double.NaN, 0, 1.0);
    }

    /** Number of rotated channels of a head: int(head_dim · partial_rotary_factor). */
    public int rotaryDim(int headDim) {
        return (int) (headDim * partialRotaryFactor);
    }

    /** Factor transformers multiplies cos and sin by; 1 for every type implemented here. */
    public float attentionScaling() {
        return 1f;
    }

    /**
     * inv_freq for a model whose sequences stay within max_position_embeddings (for "dynamic" that
     * is its value at initialisation, identical to "default").
     */
    public float[] inverseFrequencies(int headDim) {
        return switch (type) {
            case DEFAULT, DYNAMIC -> base(headDim, theta);
            case LINEAR -> linear(headDim);
            case LLAMA3 -> llama3(headDim);
        };
    }

    /**
     * inv_freq for sequences of {@code seqLen} positions: differs from {@link #inverseFrequencies(int)}
     * only for "dynamic" NTK scaling past max_position_embeddings, where the base grows to
     * theta·((factor·seqLen/maxPositions) − (factor − 1))^(dim/(dim−2)).
     */
    public float[] inverseFrequencies(int headDim, int maxPositionEmbeddings, int seqLen) {
        if (type != RopeType.DYNAMIC) return inverseFrequencies(headDim);
        int dim = rotaryDim(headDim);
        double len = Math.max(seqLen, maxPositionEmbeddings);
        double grown = theta * Math.pow(factor * len / maxPositionEmbeddings - (factor - 1), (double) dim / (dim - 2));
        return base(headDim, grown);
    }

    /** 1 / base^(2i/dim) for i < dim/2, as torch computes it in fp32. */
    private float[] base(int headDim, double base) {
        int dim = rotaryDim(headDim);
        float b = (float) base;
        float[] inv = new float[(dim + 1) / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            inv[i] = 1f / (float) Math.pow(b, exponent);
        }
        return inv;
    }

    private float[] linear(int headDim) {
        float[] inv = base(headDim, theta);
        float f = (float) factor;
        for (int i = 0; i < inv.length; i++) inv[i] /= f;
        return inv;
    }

    /**
     * Llama 3.1's scaling: frequencies whose wavelength is shorter than original/high_freq_factor
     * stay, those longer than original/low_freq_factor are divided by factor, and the band between
     * is interpolated with smooth = (original/wavelen − low) / (high − low).
     */
    private float[] llama3(int headDim) {
        float[] inv = base(headDim, theta);
        float f = (float) factor, low = (float) lowFreqFactor;
        float oldContext = (float) originalMaxPositionEmbeddings;
        // Python computes these thresholds and the denominator in double; torch rounds them to fp32
        float lowFreqWavelen = (float) (originalMaxPositionEmbeddings / lowFreqFactor);
        float highFreqWavelen = (float) (originalMaxPositionEmbeddings / highFreqFactor);
        float band = (float) (highFreqFactor - lowFreqFactor);
        float twoPi = (float) (2 * Math.PI);
        for (int i = 0; i < inv.length; i++) {
            float wavelen = twoPi / inv[i];
            float scaled = wavelen > lowFreqWavelen ? inv[i] / f : inv[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                float smooth = (oldContext / wavelen - low) / band;
                scaled = (1 - smooth) * scaled / f + smooth * scaled;
            }
            inv[i] = scaled;
        }
        return inv;
    }

    /** One line for summaries, e.g. "llama3 theta=500000 factor=8 low=1 high=4 original_max=8192". */
    public String summary() {
        StringBuilder sb = new StringBuilder(type.hfName()).append(" theta=").append(num(theta));
        if (type != RopeType.DEFAULT) sb.append(" factor=").append(num(factor));
        if (type == RopeType.LLAMA3)
            sb.append(" low=").append(num(lowFreqFactor)).append(" high=").append(num(highFreqFactor))
                    .append(" original_max=").append(originalMaxPositionEmbeddings);
        if (partialRotaryFactor != 1.0) sb.append(" partial=").append(num(partialRotaryFactor));
        return sb.toString();
    }

    private static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%s", v);
    }
}
