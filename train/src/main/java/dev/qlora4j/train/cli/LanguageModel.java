package dev.qlora4j.train.cli;

import dev.qlora4j.model.config.GenerationConfig;
import dev.qlora4j.model.generate.StopTokens;
import dev.qlora4j.model.generate.TokenGenerator;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.train.compute.Compute;

import java.nio.file.Path;

/** A causal LM folder loaded for generation: weights, tokenizer, generation_config.json, stop tokens. */
record LanguageModel(Path dir, Transformer model, Tokenizer tokenizer, GenerationConfig generation, TokenGenerator generator,
                     Compute compute) implements AutoCloseable {

    /** @param device "cpu" or "cuda" (--device) */
    static LanguageModel load(Path dir, Path adapter, String device) {
        Transformer model = ModelOptions.load(dir, adapter);
        Compute compute = null;
        try {
            Tokenizer tokenizer = Tokenizer.load(dir);
            GenerationConfig generation = GenerationConfig.load(dir, model.config());
            compute = ModelOptions.compute(device, model);
            TokenGenerator generator = compute.generator(StopTokens.of(generation, SpecialTokens.load(dir, tokenizer)));
            return new LanguageModel(dir, model, tokenizer, generation, generator, compute);
        } catch (RuntimeException e) {
            if (compute != null) compute.close();
            model.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (compute != null) compute.close();
        model.close();
    }
}
