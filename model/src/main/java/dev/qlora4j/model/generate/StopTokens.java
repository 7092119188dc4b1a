package dev.qlora4j.model.generate;

import dev.qlora4j.model.config.GenerationConfig;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/** The token ids that end generation for a model folder. */
public final class StopTokens {
    private StopTokens() {}

    /**
     * generation_config.json's eos_token_id (one id or a list; config.json's when the file or key
     * is absent) plus tokenizer_config.json's eos_token: chat checkpoints often end a turn with a
     * token (Llama 3's {@code <|eot_id|>}) that config.json does not list.
     */
    public static Set<Integer> of(Path modelDir, ModelConfig config, Tokenizer tokenizer) {
        return of(GenerationConfig.load(modelDir, config), SpecialTokens.load(modelDir, tokenizer));
    }

    public static Set<Integer> of(GenerationConfig generation, SpecialTokens specials) {
        Set<Integer> ids = new TreeSet<>(generation.tokenIds().eos());
        specials.eos().ifPresent(t -> ids.add(t.id()));
        return ids;
    }
}
