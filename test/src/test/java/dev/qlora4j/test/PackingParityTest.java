package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.model.GpuTransformer;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.Packing;
import dev.qlora4j.train.data.PaddedBatch;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.trainer.Trainer;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A step over packed examples has the loss and LoRA gradients of the same examples padded, within 1e-5, on every
 * causal fixture model: attention stays inside each sequence (Gemma-2's sliding window of 4 too), RoPE restarts,
 * no target crosses a sequence boundary, and the loss is normalised by the same label tokens. On the CPU (one
 * padding-free row per micro-batch, and the GPU's one-pack-a-row layout) and on the GPU path (the CPU emulator,
 * and a real GPU where there is one).
 */
@Timeout(600)
class PackingParityTest {
    static Stream<Arguments> cases() {
        return Stream.of("llama", "gemma2", "qwen2").flatMap(f -> GpuDevices.KINDS.stream().map(k -> Arguments.of(f, k)));
    }

    /** Lengths around Gemma-2's sliding window and up to 60 tokens, random tokens, the first third of longer ones masked. */
    private static List<Example> unevenExamples(int vocab, long seed) {
        Random random = new Random(seed);
        List<Example> examples = new ArrayList<>();
        for (int len : new int[]{37, 5, 22, 60, 2, 14, 41, 9, 30, 17}) {
            int[] ids = random.ints(len, 0, vocab).toArray(), labels = ids.clone();
            if (len > 10) Arrays.fill(labels, 0, len / 3, Example.IGNORE);
            examples.add(Example.causal("row", examples.size(), ids, labels));
        }
        return examples;
    }

    private static Path adapter(Path dir) {
        return Files.isDirectory(dir.resolve("adapter_trained")) ? dir.resolve("adapter_trained") : dir.resolve("adapter_init");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2", "qwen2"})
    void onTheCpuAPackedStepEqualsThePaddedStep(String fixture) {
        Path dir = Fixture.ROOT.resolve(fixture);
        try (Transformer model = Transformer.load(dir.resolve("model"), false)) {
            List<Example> examples = unevenExamples(model.config().vocabSize(), fixture.hashCode());
            List<Example> packs = Packing.pack(examples, 64, Packing.Strategy.BFD);
            assertThat(packs.size()).isLessThan(examples.size());
            LoraModel lora = LoraModel.load(model, adapter(dir), null);
            Collator collator = Collator.causal(0, 8);
            double[] padded = cpuStep(model, lora, List.of(collator.collate(examples)));
            // two micro-batches of packs, as with per_device_train_batch_size 2
            List<PaddedBatch> micro = new ArrayList<>();
            for (int i = 0; i < packs.size(); i += 2) micro.add(collator.collate(packs.subList(i, Math.min(packs.size(), i + 2))));
            assertSameStep(padded, cpuStep(model, lora, micro));
            // the GPU's layout, one pack a row padded to the longest, gives the same step on the CPU too
            assertSameStep(padded, cpuStep(model, lora, List.of(collator.rowPerPack().collate(packs))));
        }
    }

    /** [loss, every LoRA gradient entry...] of one step over these micro-batches: summed loss over all their label tokens. */
    private static double[] cpuStep(Transformer model, LoraModel lora, List<PaddedBatch> batches) {
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
        return lossAndGradients(loss, lora);
    }

    private static double[] lossAndGradients(double loss, LoraModel lora) {
        List<Double> out = new ArrayList<>();
        out.add(loss);
        for (Tensor p : lora.trainableParameters()) for (float g : p.grad().toFloatArray()) out.add((double) g);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The loss within 1e-5 relative, every gradient entry within 1e-5 of the largest one. */
    private static void assertSameStep(double[] padded, double[] packed) {
        assertThat(packed).hasSameSizeAs(padded);
        assertThat(packed[0]).as("loss").isCloseTo(padded[0], Offset.offset(1e-5 * padded[0]));
        double worst = 0, largest = 0;
        for (int i = 1; i < padded.length; i++) {
            worst = Math.max(worst, Math.abs(packed[i] - padded[i]));
            largest = Math.max(largest, Math.abs(padded[i]));
        }
        assertThat(worst).as("largest gradient difference, relative to the largest entry").isLessThan(1e-5 * largest);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void onTheDeviceAPackedStepEqualsThePaddedStep(String fixture, String kind) {
        Path dir = Fixture.ROOT.resolve(fixture);
        try (CudaDevice d = GpuDevices.open(kind); Transformer model = Transformer.load(dir.resolve("model"))) {
            LoraModel lora = LoraModel.load(model, adapter(dir), null);
            GpuTransformer gpu = new GpuTransformer(d, model, lora);
            List<Example> examples = unevenExamples(model.config().vocabSize(), fixture.hashCode());
            List<Example> packs = Packing.pack(examples, 64, Packing.Strategy.BFD);
            Collator collator = Collator.causal(0, 8);
            assertSameStep(gpuStep(gpu, lora, collator.collate(examples)), gpuStep(gpu, lora, collator.rowPerPack().collate(packs)));
        }
    }

    /**
     * Through the trainer with device cuda (the emulator): one step over all 20 rows of the llama fixture, packed
     * (one pack a row on the GPU) and padded, logs the same loss and grad_norm.
     */
    @Test
    void packedTrainingOnTheDeviceEqualsPaddedTraining(@TempDir Path tmp) throws IOException {
        GpuDevices.open("emulator").close();   // skips without g++
        System.setProperty("qlora4j.cuda", "emulator");
        try {
            JsonNode padded = firstLog(config(tmp.resolve("padded")));
            JsonNode packed = firstLog(config(tmp.resolve("packed")).put("packing", true));
            for (String k : List.of("loss", "grad_norm"))
                assertThat(packed.get(k).asDouble()).as(k).isCloseTo(padded.get(k).asDouble(),
                        Offset.offset(1e-5 * padded.get(k).asDouble()));
        } finally {
            System.clearProperty("qlora4j.cuda");
        }
    }

    private static ObjectNode config(Path out) {
        var c = new ObjectMapper().createObjectNode()
                .put("model_name_or_path", Fixture.ROOT.resolve("llama/model").toString())
                .put("train_file", Fixture.ROOT.resolve("llama/train.jsonl").toString()).put("output_dir", out.toString())
                .put("max_steps", 1).put("per_device_train_batch_size", 20).put("shuffle", false).put("max_length", 96)
                .put("train_on_responses_only", true).put("logging_steps", 1).put("save_strategy", "no").put("report_to", "none")
                .put("device", "cuda");
        c.putObject("lora").put("r", 4).put("lora_alpha", 8).putArray("target_modules").add("q_proj").add("v_proj").add("down_proj");
        return c;
    }

    private static JsonNode firstLog(ObjectNode c) throws IOException {
        new Trainer(TrainingConfigParser.parse(c, "test"),
                new PrintStream(OutputStream.nullOutputStream()), List.of()).train();
        for (var e : new ObjectMapper().readTree(
                Path.of(c.get("output_dir").asText()).resolve("trainer_state.json").toFile()).get("log_history"))
            if (e.has("loss")) return e;
        throw new AssertionError("no loss logged");
    }

    /** [loss, every LoRA gradient entry...] of one batch on the device: summed loss over its label tokens. */
    private static double[] gpuStep(GpuTransformer gpu, LoraModel lora, PaddedBatch b) {
        for (Tensor p : lora.trainableParameters()) p.zeroGrad();
        float scale = 1f / b.labelTokens();
        GpuTransformer.Result r = gpu.step(b.inputIds().toIntArray(), b.attentionMask().toIntArray(),
                b.packed() == null ? null : b.packed().toIntArray(), b.labels().toIntArray(), b.rows(), b.length(),
                CrossEntropy.Reduction.SUM, scale, true, 0);
        gpu.gradientsToHost();
        return lossAndGradients(r.loss() * scale, lora);
    }
}
