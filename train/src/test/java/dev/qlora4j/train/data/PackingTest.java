package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class PackingTest {
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Example example(int id, int... tokens) {
        return Example.causal("row " + id, id, tokens);
    }

    /** TRL's own example (pack_dataset's docstring): [[1,2,3],[4,5],[6,7,8],[9]] at 4 → [1,2,3,9], [6,7,8], [4,5]. */
    @Test
    void bfdPacksTrlsDocumentedExampleAsTrlDoes() {
        List<Example> packs = Packing.pack(List.of(example(0, 1, 2, 3), example(1, 4, 5), example(2, 6, 7, 8), example(3, 9)), 4,
                Packing.Strategy.BFD);
        assertThat(packs).extracting(Example::inputIds).containsExactly(new int[]{1, 2, 3, 9}, new int[]{6, 7, 8}, new int[]{4, 5});
        assertThat(packs).extracting(Example::sequences).containsExactly(new int[]{3, 1}, new int[]{3}, new int[]{2});
        // the first token of each sequence is never a target
        assertThat(packs.getFirst().labels()).containsExactly(Example.IGNORE, 2, 3, Example.IGNORE);
    }

    @Test
    void wrappedConcatenatesAndCutsAsTrlDoes() {
        List<Example> packs = Packing.pack(List.of(example(0, 1, 2, 3), example(1, 4, 5), example(2, 6, 7, 8), example(3, 9)), 4,
                Packing.Strategy.WRAPPED);
        assertThat(packs).extracting(Example::inputIds).containsExactly(new int[]{1, 2, 3, 4}, new int[]{5, 6, 7, 8}, new int[]{9});
        assertThat(packs).extracting(Example::sequences).containsExactly(new int[]{4}, new int[]{4}, new int[]{1});
    }

    @Test
    void bfdTruncatesEachSequenceToTheCapacity() {
        List<Example> packs = Packing.pack(List.of(example(0, 1, 2, 3, 4, 5, 6), example(1, 7)), 4, Packing.Strategy.BFD);
        assertThat(packs).extracting(Example::inputIds).containsExactly(new int[]{1, 2, 3, 4}, new int[]{7});
    }

    /** The assignment equals trl_bfd.py (TRL's algorithm, its segment tree and FIFOs) on random lengths with many ties. */
    @ParameterizedTest
    @ValueSource(ints = {16, 64, 1024, 2048})
    void bfdAssignmentEqualsTrlsAlgorithm(int capacity) throws Exception {
        Random random = new Random(capacity);
        for (int trial = 0; trial < 20; trial++) {
            int[] lengths = new int[1 + random.nextInt(400)];
            for (int i = 0; i < lengths.length; i++)
                lengths[i] = 1 + (int) Math.min(capacity - 1, Math.exp(Math.log(capacity / 4.0) + random.nextGaussian()));
            List<List<Integer>> want = trl(lengths, capacity);
            assertThat(Packing.bestFitDecreasing(lengths, capacity)).as("trial " + trial).isEqualTo(want);
        }
    }

    private static List<List<Integer>> trl(int[] lengths, int capacity) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("python3", Path.of("src", "test", "resources", "packing", "trl_bfd.py").toString()).start();
        } catch (IOException e) {
            assumeThat(false).as("python3 is not installed here").isTrue();
            throw e;
        }
        try (var os = p.getOutputStream()) {
            os.write(JSON.writeValueAsBytes(Map.of("capacity", capacity, "lengths", lengths)));
        }
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes())).isZero();
        return JSON.readValue(out, JSON.getTypeFactory().constructCollectionType(List.class,
                JSON.getTypeFactory().constructCollectionType(List.class, Integer.class)));
    }

    /**
     * One optimizer step's loss and LoRA gradients over packed examples equal those over the same examples padded:
     * attention stays inside each sequence (Gemma-2's sliding window too), RoPE restarts, no cross-sequence target,
     * and the loss is normalised by the same label tokens.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2", "qwen2"})
    void packedStepEqualsPaddedStep(String fixture) {
        Path dir = FIXTURES.resolve(fixture);
        Path adapter = Files.isDirectory(dir.resolve("adapter_trained")) ? dir.resolve("adapter_trained") : dir.resolve("adapter_init");
        try (Transformer model = Transformer.load(dir.resolve("model"), false)) {
            int vocab = model.config().vocabSize();
            Random random = new Random(fixture.hashCode());
            List<Example> examples = new ArrayList<>();
            // lengths around Gemma-2 fixture's sliding window, some prompts masked
            for (int len : new int[]{37, 5, 22, 60, 2, 14, 41, 9, 30, 17}) {
                int[] ids = random.ints(len, 0, vocab).toArray(), labels = ids.clone();
                if (len > 10) Arrays.fill(labels, 0, len / 3, Example.IGNORE);
                examples.add(Example.causal("row", examples.size(), ids, labels));
            }
            List<Example> packs = Packing.pack(examples, 64, Packing.Strategy.BFD);
            assertThat(packs.size()).isLessThan(examples.size());
            LoraModel lora = LoraModel.load(model, adapter, null);
            Step padded = step(model, lora, List.of(Collator.causal(0, 8).collate(examples)));
            // two micro-batches of packs, as with per_device_train_batch_size 2
            List<PaddedBatch> micro = new ArrayList<>();
            for (int i = 0; i < packs.size(); i += 2) micro.add(Collator.causal(0, 8).collate(packs.subList(i, Math.min(packs.size(), i + 2))));
            Step packed = step(model, lora, micro);
            // the GPU's layout, one pack a row padded to the longest, on the CPU gives the same step too
            Step rows = step(model, lora, List.of(Collator.causal(0, 8).rowPerPack().collate(packs)));
            assertThat(rows.loss).isCloseTo(padded.loss, org.assertj.core.api.Assertions.within(1e-5 * padded.loss));
            assertThat(worst(padded, rows)).isLessThan(1e-5);
            assertThat(packed.labelTokens).isEqualTo(padded.labelTokens);
            assertThat(packed.loss).isCloseTo(padded.loss, org.assertj.core.api.Assertions.within(1e-5 * padded.loss));
            assertThat(worst(padded, packed)).as("largest gradient difference, relative to the tensor's largest entry").isLessThan(1e-5);
        }
    }

    private static double worst(Step want, Step got) {
        assertThat(got.grads).hasSameSizeAs(want.grads);
        double worst = 0;
        for (int p = 0; p < want.grads.size(); p++) {
            float[] a = want.grads.get(p), b = got.grads.get(p);
            double scale = 0;
            for (float v : a) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(scale, 1e-30));
        }
        return worst;
    }

    private record Step(double loss, long labelTokens, List<float[]> grads) {}

    private static Step step(Transformer model, LoraModel lora, List<PaddedBatch> batches) {
        for (Tensor t : lora.trainableParameters()) t.zeroGrad();
        long tokens = 0;
        for (PaddedBatch b : batches) tokens += b.labelTokens();
        double loss = 0;
        for (PaddedBatch b : batches) {
            Tensor l = model.causalLmLoss(b.inputIds(), b.attentionMask(), b.packed(), b.labels(), CrossEntropy.Reduction.SUM)
                    .div(Tensor.scalar((float) tokens));
            loss += l.item();
            l.backward();
        }
        List<float[]> grads = new ArrayList<>();
        for (Tensor t : lora.trainableParameters()) grads.add(t.grad().toFloatArray());
        return new Step(loss, tokens, grads);
    }
}
