package dev.qlora4j.model.generate;

import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.nn.KvCache;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Tensor;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntConsumer;

/**
 * The decoding loop of a causal LM, one sequence at a time: the prompt is fed once (prefill),
 * then one token per step with the keys and values of earlier positions in a {@link KvCache};
 * only the last position's logits are computed. Generation stops after an end-of-sequence token
 * (kept in the output, as transformers does) or after {@code maxNewTokens}.
 *
 * <p>The cache outlives a call: a prompt that starts with the tokens fed last time (the next turn
 * of a chat, which repeats the whole conversation) only feeds what differs. Not thread-safe.
 */
public final class TokenGenerator {
    private final Transformer model;
    private final Set<Integer> eosIds;
    private final Decoder decoder;
    /** The tokens whose keys and values the cache holds, in order: cache.length() of them. */
    private int[] cached = new int[0];

    /** @param eosIds tokens that end generation (see {@link StopTokens}); may be empty */
    public TokenGenerator(Transformer model, Set<Integer> eosIds) {
        this(model, eosIds, new KvCacheDecoder(model));
    }

    /** A generator running the model through {@code decoder} (the GPU backend's). */
    public TokenGenerator(Transformer model, Set<Integer> eosIds, Decoder decoder) {
        this.decoder = decoder;
        if (model.config().task() != Task.CAUSAL_LM)
            throw BadInputException.at(model.config().file().toString(), "generation needs a causal language model, "
                    + model.config().architecture() + " is a " + model.config().task().label() + " model");
        this.model = model;
        this.eosIds = Set.copyOf(new TreeSet<>(eosIds));
    }

    public Set<Integer> eosIds() {
        return eosIds;
    }

    /**
     * Generates up to {@code maxNewTokens} tokens after {@code prompt}.
     *
     * @param onToken receives each new token as soon as it is chosen (for streaming)
     * @throws BadInputException if the prompt is empty, holds an id outside the vocabulary, or
     *                           prompt plus {@code maxNewTokens} exceeds max_position_embeddings
     */
    public GenerationResult generate(int[] prompt, int maxNewTokens, Sampler sampler, IntConsumer onToken) {
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must not be negative, got " + maxNewTokens);
        check(prompt, maxNewTokens);
        int[] out = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
        int length = prompt.length, reused = 0;
        boolean eos = false;
        if (maxNewTokens > 0) {
            try (var ignored = Tensor.noGrad()) {
                reused = prepareCache(prompt, prompt.length + maxNewTokens);
                float[] logits = feed(Arrays.copyOfRange(prompt, reused, prompt.length));
                for (int i = 0; ; i++) {
                    int next = sampler.next(logits);
                    out[length++] = next;
                    onToken.accept(next);
                    eos = eosIds.contains(next);
                    if (eos || i == maxNewTokens - 1) break;
                    logits = feed(new int[]{next});
                }
            }
        }
        return new GenerationResult(Arrays.copyOf(out, length), prompt.length, eos, reused);
    }

    /** Forgets the cached positions (the next call prefills its whole prompt). */
    public void reset() {
        decoder.truncate(0);
        cached = new int[0];
    }

    private void check(int[] prompt, int maxNewTokens) {
        String where = model.config().file().toString();
        if (prompt.length == 0) throw BadInputException.at(where, "the prompt is empty: generation needs at least one token");
        int vocab = model.config().vocabSize();
        for (int id : prompt)
            if (id < 0 || id >= vocab) throw BadInputException.at(where, "prompt token id " + id + " is outside the vocabulary of " + vocab);
        long total = (long) prompt.length + maxNewTokens;
        if (total > model.config().maxPositionEmbeddings())
            throw model.tooLong((int) Math.min(Integer.MAX_VALUE, total),
                    "a prompt of " + prompt.length + " tokens plus " + maxNewTokens + " new tokens: a sequence");
    }

    /**
     * Makes room for {@code needed} positions and keeps the cached prefix shared with the prompt;
     * at least the prompt's last token is fed again, since its logits are needed.
     *
     * @return how many prompt positions stay cached
     */
    private int prepareCache(int[] prompt, int needed) {
        if (decoder.capacity() == 0) {
            decoder.ensureCapacity(needed);
        } else if (decoder.capacity() < needed) {
            // doubling keeps the number of copies logarithmic in a growing conversation
            decoder.ensureCapacity(Math.min(model.config().maxPositionEmbeddings(), Math.max(needed, 2 * decoder.capacity())));
        }
        int common = 0, limit = Math.min(cached.length, prompt.length - 1);
        while (common < limit && cached[common] == prompt[common]) common++;
        decoder.truncate(common);
        cached = Arrays.copyOf(cached, common);
        return common;
    }

    /** Feeds tokens after the cached ones and returns the logits [vocab] of the last. */
    private float[] feed(int[] tokens) {
        float[] logits = decoder.feed(tokens);
        int start = cached.length;
        cached = Arrays.copyOf(cached, start + tokens.length);
        System.arraycopy(tokens, 0, cached, start, tokens.length);
        return logits;
    }
}
