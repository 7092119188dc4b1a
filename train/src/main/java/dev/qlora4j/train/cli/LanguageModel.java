package dev.qlora4j.train.cli;

import dev.qlora4j.model.config.GenerationConfig;
import dev.qlora4j.model.generate.StopTokens;
import dev.qlora4j.model.generate.TokenGenerator;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;

import java.nio.file.Path;

/** A causal LM folder loaded for generation: weights, tokenizer, generation_config.json, stop tokens. */
record LanguageModel(Path dir, Transformer model, Tokenizer tokenizer, GenerationConfig generation, TokenGenerator generator)
        implements AutoCloseable {

    static LanguageModel load(Path dir, Path adapter) {
        Transformer model = ModelOptions.load(dir, adapter);
        try {
            Tokenizer tokenizer = Tokenizer.load(dir);
            GenerationConfig generation = GenerationConfig.load(dir, model.config());
            TokenGenerator generator = new TokenGenerator(model, StopTokens.of(generation, SpecialTokens.load(dir, tokenizer)));
            return new LanguageModel(dir, model, tokenizer, generation, generator);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
