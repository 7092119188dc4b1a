package dev.qlora4j.model.generate;

import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The decoding loop on the fixture models (tiny, random weights). */
class TokenGeneratorTest {
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    private static final int[] PROMPT = {378, 374, 304, 220, 350, 72, 66};

    private static Transformer load(String name) {
        return Transformer.load(FIXTURES.resolve(name).resolve("model"));
    }

    /** The reference the cache must agree with: every step runs the whole sequence, no cache, and takes the argmax. */
    private static int[] uncachedGreedy(Transformer model, int[] prompt, int newTokens) {
        int[] seq = Arrays.copyOf(prompt, prompt.length + newTokens);
        try (var ignored = Tensor.noGrad()) {
            for (int n = prompt.length; n < seq.length; n++) {
                Tensor logits = model.lmLogits(model.hidden(Tensor.ofInts(Arrays.copyOf(seq, n), 1, n), null, null));
                seq[n] = (int) logits.select(1, n - 1).reshape(-1).argmax(0, false).getLong();
            }
        }
        return seq;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma2", "llama31-bf16-sharded"})
    void greedyWithTheCacheEqualsArgmaxOverTheWholeSequence(String fixture) {
        int[] prompt = fixture.equals("gemma2") ? new int[]{1001, 5, 77, 300, 12, 950, 4} : PROMPT;
        try (Transformer model = load(fixture)) {
            // 20 steps go well past Gemma-2's sliding window of 4
            GenerationResult r = new TokenGenerator(model, Set.of()).generate(prompt, 20, Sampler.greedy(), id -> {});
            assertThat(r.ids()).containsExactly(uncachedGreedy(model, prompt, 20));
            assertThat(r.promptLength()).isEqualTo(prompt.length);
            assertThat(r.stoppedAtEos()).isFalse();
            assertThat(r.newIds()).hasSize(20);
        }
    }

    @Test
    void samplingWithTopK1IsGreedy() {
        try (Transformer model = load("llama")) {
            int[] greedy = new TokenGenerator(model, Set.of()).generate(PROMPT, 15, Sampler.greedy(), id -> {}).ids();
            Sampler topOne = new Sampler(new SamplingParams(0.8, 1, 1.0), new Generator(3));
            assertThat(new TokenGenerator(model, Set.of()).generate(PROMPT, 15, topOne, id -> {}).ids()).containsExactly(greedy);
        }
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        try (Transformer model = load("llama")) {
            SamplingParams params = new SamplingParams(1.5, 0, 1.0);
            TokenGenerator gen = new TokenGenerator(model, Set.of());
            int[] a = gen.generate(PROMPT, 20, new Sampler(params, new Generator(42)), id -> {}).ids();
            int[] b = gen.generate(PROMPT, 20, new Sampler(params, new Generator(42)), id -> {}).ids();
            int[] c = gen.generate(PROMPT, 20, new Sampler(params, new Generator(43)), id -> {}).ids();
            assertThat(b).containsExactly(a);
            assertThat(c).as("another seed draws another sequence").isNotEqualTo(a);
            assertThat(a).isNotEqualTo(gen.generate(PROMPT, 20, Sampler.greedy(), id -> {}).ids());
        }
    }

    @Test
    void stopsAfterAnEndTokenAndKeepsIt() {
        try (Transformer model = load("llama")) {
            int[] free = new TokenGenerator(model, Set.of()).generate(PROMPT, 12, Sampler.greedy(), id -> {}).newIds();
            int stop = free[4];
            int firstAt = 0;
            while (free[firstAt] != stop) firstAt++;
            List<Integer> streamed = new ArrayList<>();
            GenerationResult r = new TokenGenerator(model, Set.of(stop, 999_999)).generate(PROMPT, 12, Sampler.greedy(), streamed::add);
            assertThat(r.newIds()).containsExactly(Arrays.copyOf(free, firstAt + 1));
            assertThat(r.stoppedAtEos()).isTrue();
            assertThat(streamed).hasSize(firstAt + 1).last().isEqualTo(stop);
        }
    }

    @Test
    void aFollowUpPromptReusesTheCachedPrefix() {
        try (Transformer model = load("gemma2")) {
            int[] first = {1001, 5, 77, 300, 12, 950, 4};
            TokenGenerator gen = new TokenGenerator(model, Set.of());
            GenerationResult one = gen.generate(first, 6, Sampler.greedy(), id -> {});
            int[] next = Arrays.copyOf(one.ids(), one.ids().length + 3);
            next[next.length - 3] = 17;
            next[next.length - 2] = 18;
            next[next.length - 1] = 19;
            GenerationResult two = gen.generate(next, 8, Sampler.greedy(), id -> {});
            // everything fed last time: the prompt and every generated token but the last
            assertThat(two.reusedPositions()).isEqualTo(one.ids().length - 1);
            assertThat(two.ids()).containsExactly(uncachedGreedy(model, next, 8));
            // a prompt that diverges early keeps only the common part
            int[] other = first.clone();
            other[3] = 301;
            GenerationResult three = gen.generate(other, 4, Sampler.greedy(), id -> {});
            assertThat(three.reusedPositions()).isEqualTo(3);
            assertThat(three.ids()).containsExactly(uncachedGreedy(model, other, 4));
        }
    }

    @Test
    void aPromptThatDoesNotFitIsBadInput() {
        try (Transformer model = load("llama")) {   // max_position_embeddings 256
            TokenGenerator gen = new TokenGenerator(model, Set.of());
            assertThatThrownBy(() -> gen.generate(new int[250], 10, Sampler.greedy(), id -> {}))
                    .isInstanceOf(BadInputException.class)
                    .hasMessageContaining("a prompt of 250 tokens plus 10 new tokens: a sequence of 260 tokens exceeds max_position_embeddings 256")
                    .hasMessageNotContaining("\n");
            assertThat(gen.generate(new int[250], 6, Sampler.greedy(), id -> {}).ids()).hasSize(256);
            assertThatThrownBy(() -> gen.generate(new int[]{1, 384}, 1, Sampler.greedy(), id -> {}))
                    .isInstanceOf(BadInputException.class).hasMessageContaining("prompt token id 384 is outside the vocabulary of 384");
            assertThatThrownBy(() -> gen.generate(new int[0], 1, Sampler.greedy(), id -> {}))
                    .isInstanceOf(BadInputException.class).hasMessageContaining("the prompt is empty");
        }
    }

    @Test
    void zeroNewTokensReturnsThePrompt() {
        try (Transformer model = load("llama")) {
            GenerationResult r = new TokenGenerator(model, Set.of()).generate(PROMPT, 0, Sampler.greedy(), id -> {});
            assertThat(r.ids()).containsExactly(PROMPT);
        }
    }

    @Test
    void aClassifierCannotGenerate() {
        try (Transformer model = load("llama-seqcls")) {
            assertThatThrownBy(() -> new TokenGenerator(model, Set.of())).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("generation needs a causal language model");
        }
    }
}
