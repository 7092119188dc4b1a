package dev.qlora4j.train.cli;

import picocli.CommandLine.Option;

/** The decoding options of {@code generate} and {@code chat}, mixed into each; {@link #settings} checks them. */
final class GenerationOptions {
    @Option(names = "--max-new-tokens", paramLabel = "N", description = "at most N new tokens (default: ${DEFAULT-VALUE})")
    int maxNewTokens = GenerationSettings.DEFAULT_MAX_NEW_TOKENS;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE})")
    double temperature = 0;

    @Option(names = "--top-k", paramLabel = "K", description = "when sampling: the K likeliest tokens (default: generation_config.json's)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "when sampling: nucleus probability in (0, 1] (default: generation_config.json's)")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", description = "the sampling seed (default: a random one, printed)")
    Long seed;

    GenerationSettings settings() {
        if (maxNewTokens < 0) throw new UserError("--max-new-tokens must not be negative (got " + maxNewTokens + ")");
        if (temperature < 0) throw new UserError("--temperature must not be negative (got " + shown(temperature) + ")");
        if (topK != null && topK < 0) throw new UserError("--top-k must not be negative (got " + topK + ")");
        if (topP != null && !(topP > 0 && topP <= 1)) throw new UserError("--top-p must be in (0, 1] (got " + shown(topP) + ")");
        return new GenerationSettings(maxNewTokens, temperature, topK, topP, seed);
    }

    /** A number as the user would have typed it: 0, not 0.0. */
    private static String shown(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
