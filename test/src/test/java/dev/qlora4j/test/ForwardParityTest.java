package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.generate.GenerationResult;
import dev.qlora4j.model.generate.Sampler;
import dev.qlora4j.model.generate.StopTokens;
import dev.qlora4j.model.generate.TokenGenerator;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every fixture model against transformers' own outputs: logits and last hidden state (where the
 * attention mask is 1), the mean loss, and greedy generation token for token.
 */
class ForwardParityTest {
    /** fixtures/README.md: within 1e-4, absolute, or relative for values above 1. */
    private static final double TOLERANCE = 1e-4;

    static List<Fixture> fixtures() {
        return Fixture.all();
    }

    /** The fixtures with a generation reference (the causal LMs; classifiers have none). */
    static List<Fixture> generationFixtures() {
        return Fixture.all().stream().filter(f -> f.reference().has("generate")).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void forwardMatchesTransformers(Fixture f) {
        try (Transformer model = Transformer.load(f.model());
             SafetensorsFile expected = SafetensorsFile.open(f.dir().resolve("expected_forward.safetensors"))) {
            Tensor ids = f.ints("input_ids"), mask = f.ints("attention_mask");
            if (model.config().task() == Task.SEQUENCE_CLASSIFICATION) {
                Tensor logits = model.classify(ids, mask);
                assertClose(logits.toFloatArray(), expected.copyOf("logits").toFloatArray(), null, 1, "logits");
                Tensor labels = Tensor.ofInts(f.intList(f.reference().get("labels")), ids.size(0));
                float loss = model.classificationLoss(ids, mask, labels, CrossEntropy.Reduction.MEAN).item();
                assertThat((double) loss).isCloseTo(f.reference().get("loss_mean").asDouble(), within(f.reference().get("loss_mean").asDouble()));
            } else {
                Tensor hidden = model.hidden(ids, mask, null);
                int[] m = mask.toIntArray();
                assertClose(hidden.toFloatArray(), expected.copyOf("last_hidden").toFloatArray(), m, model.config().hiddenSize(), "last_hidden");
                assertClose(model.lmLogits(hidden).toFloatArray(), expected.copyOf("logits").toFloatArray(), m,
                        model.config().vocabSize(), "logits");
                float loss = model.causalLmLoss(ids, mask, f.ints("labels"), CrossEntropy.Reduction.MEAN).item();
                assertThat((double) loss).isCloseTo(f.reference().get("loss_mean").asDouble(), within(f.reference().get("loss_mean").asDouble()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("generationFixtures")
    void greedyGenerationMatchesTransformers(Fixture f) {
        JsonNode gen = f.reference().get("generate");
        int[] prompt = f.intList(gen.get("prompt_ids")), want = f.intList(gen.get("greedy_ids"));
        int newTokens = gen.get("max_new_tokens").asInt();
        try (Transformer model = Transformer.load(f.model())) {
            Set<Integer> eos = StopTokens.of(f.model(), model.config(), Tokenizer.load(f.model()));
            GenerationResult out = new TokenGenerator(model, eos).generate(prompt, newTokens, Sampler.greedy(), id -> {});
            assertThat(out.ids()).as(f.name()).containsExactly(want);
        }
    }

    private static org.assertj.core.data.Offset<Double> within(double reference) {
        return org.assertj.core.data.Offset.offset(TOLERANCE * Math.max(1, Math.abs(reference)));
    }

    /** Element-wise comparison of rows of {@code width}; rows whose mask entry is 0 are skipped. */
    private static void assertClose(float[] got, float[] want, int[] rowMask, int width, String what) {
        assertThat(got.length).as(what + " size").isEqualTo(want.length);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < got.length; i++) {
            if (rowMask != null && rowMask[i / width] == 0) continue;
            double err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
            if (!(err <= worst)) {
                worst = err;
                worstAt = i;
            }
        }
        assertThat(worst).as(what + ": worst error at " + worstAt).isLessThanOrEqualTo(TOLERANCE);
    }
}
