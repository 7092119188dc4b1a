package dev.qlora4j.model.generate;

/**
 * How the next token is chosen from the logits, with the meaning transformers' {@code generate}
 * gives these knobs when {@code do_sample=True}.
 *
 * @param temperature 0 = greedy decoding (argmax, the other knobs unused); otherwise logits are
 *                    divided by it before sampling
 * @param topK        keep the tokens whose logit is at least the k-th largest (0 = off)
 * @param topP        keep the most likely tokens whose probabilities reach this mass (1 = off)
 */
public record SamplingParams(double temperature, int topK, double topP) {
    /** Argmax decoding, transformers' default ({@code do_sample=False}). */
    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException("temperature must be finite and not negative, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must not be negative, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
