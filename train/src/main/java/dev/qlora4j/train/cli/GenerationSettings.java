package dev.qlora4j.train.cli;

import dev.qlora4j.model.config.GenerationConfig;
import dev.qlora4j.model.generate.Sampler;
import dev.qlora4j.model.generate.SamplingParams;
import dev.qlora4j.tensor.Generator;

import java.io.PrintStream;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The decoding settings of {@code generate} and {@code chat} (from {@link GenerationOptions}). Temperature 0 (greedy) is the
 * default whatever generation_config.json says, as the CLI contract fixes it; when sampling,
 * top-k and top-p not given on the command line come from generation_config.json (transformers'
 * defaults 50 and 1.0 when it is silent), as {@code generate(do_sample=True, temperature=T)} takes them.
 *
 * @param topK null = generation_config.json's
 * @param topP null = generation_config.json's
 * @param seed null = a fresh random seed, printed so the run can be repeated
 */
record GenerationSettings(int maxNewTokens, double temperature, Integer topK, Double topP, Long seed) {
    static final int DEFAULT_MAX_NEW_TOKENS = 128;

    /** The sampler for these settings; {@code out} learns the seed when none was given and it matters. */
    Sampler sampler(GenerationConfig defaults, PrintStream out) {
        if (temperature == 0) return Sampler.greedy();
        int k = topK != null ? topK : defaults.topK();
        double p = topP != null ? topP : defaults.topP();
        String file = "generation_config.json";
        if (k < 0) throw new UserError("top_k must not be negative, got " + k + " (" + file + "; override with --top-k)");
        if (!(p > 0 && p <= 1)) throw new UserError("top_p must be in (0, 1], got " + p + " (" + file + "; override with --top-p)");
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        if (seed == null) out.println("(sampling with --seed " + s + ")");
        return new Sampler(new SamplingParams(temperature, k, p), new Generator(s));
    }
}
