package dev.qlora4j.train.data;

import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.tokenizer.SpecialTokens;

/** The id written at padding. */
public final class PadIds {
    private PadIds() {}

    /**
     * Causal LM: padding is masked out, so any real token does. The tokenizer's pad token (TRL's
     * choice), else config.json's pad_token_id, else the EOS token (TRL's fallback), else 0.
     */
    public static int causal(SpecialTokens specials, ModelConfig config) {
        if (specials.pad().isPresent()) return specials.pad().get().id();
        if (config.tokenIds().pad() != null) return config.tokenIds().pad();
        if (specials.eos().isPresent()) return specials.eos().get().id();
        return config.tokenIds().eos().isEmpty() ? 0 : config.tokenIds().eos().getFirst();
    }

    /**
     * Sequence classification: config.json's pad_token_id, the id the head looks for to find each
     * row's last token; null when it has none (rows then cannot be padded).
     */
    public static Integer classifier(ModelConfig config) {
        return config.tokenIds().pad();
    }
}
