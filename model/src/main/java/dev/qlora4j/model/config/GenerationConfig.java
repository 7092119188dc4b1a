package dev.qlora4j.model.config;

import dev.qlora4j.model.json.JsonFields;
import dev.qlora4j.model.json.JsonFiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * generation_config.json: the decoding defaults a checkpoint ships. Values it does not state are
 * transformers' GenerationConfig defaults (greedy, temperature 1, top_k 50, top_p 1, max_length 20);
 * token ids it does not state come from config.json, as GenerationConfig.from_model_config takes them.
 *
 * @param tokenIds     bos / eos (any of which ends generation) / pad
 * @param doSample     sample instead of greedy decoding
 * @param temperature  softmax temperature when sampling
 * @param topK         keep the k most likely tokens when sampling (0 = off)
 * @param topP         nucleus sampling mass (1 = off)
 * @param maxNewTokens new tokens to generate, or null when only maxLength limits
 * @param maxLength    prompt plus generated tokens, used when maxNewTokens is null
 */
public record GenerationConfig(SpecialTokenIds tokenIds, boolean doSample, double temperature, int topK, double topP,
                               Integer maxNewTokens, int maxLength) {

    /** The defaults with config.json's token ids: what transformers uses when the file is missing. */
    public static GenerationConfig fromModelConfig(ModelConfig model) {
        return new GenerationConfig(model.tokenIds(), false, 1.0, 50, 1.0, null, 20);
    }

    /** Reads {@code modelDir}/generation_config.json, or falls back to {@link #fromModelConfig} when absent. */
    public static GenerationConfig load(Path modelDir, ModelConfig model) {
        Path file = modelDir.resolve("generation_config.json");
        if (!Files.exists(file)) return fromModelConfig(model);
        JsonFields g = new JsonFields(JsonFiles.readObject(file), file.toString());
        SpecialTokenIds base = model.tokenIds();
        List<Integer> eos = g.hasKey("eos_token_id") ? g.intOrIntList("eos_token_id") : base.eos();
        SpecialTokenIds ids = new SpecialTokenIds(g.nullableInt("bos_token_id", base.bos()), eos,
                g.nullableInt("pad_token_id", base.pad()));
        boolean doSample = g.boolOr("do_sample", false);
        double temperature = g.doubleOr("temperature", 1.0);
        int topK = g.intOr("top_k", 50);
        double topP = g.doubleOr("top_p", 1.0);
        // greedy decoding ignores the sampling knobs, and files often leave odd values in them
        if (doSample) {
            if (!(temperature > 0)) throw g.invalid("temperature", "must be positive when do_sample is true, got " + temperature);
            if (topK < 0) throw g.invalid("top_k", "must not be negative, got " + topK);
            if (!(topP > 0 && topP <= 1)) throw g.invalid("top_p", "must be in (0, 1], got " + topP);
        }
        Integer maxNew = g.optInt("max_new_tokens");
        if (maxNew != null && maxNew < 0) throw g.invalid("max_new_tokens", "must not be negative, got " + maxNew);
        int maxLength = g.positiveIntOr("max_length", 20);
        return new GenerationConfig(ids, doSample, temperature, topK, topP, maxNew, maxLength);
    }

    /** How many tokens to generate after a prompt of {@code promptLength} tokens. */
    public int newTokenBudget(int promptLength) {
        return maxNewTokens != null ? maxNewTokens : Math.max(0, maxLength - promptLength);
    }
}
