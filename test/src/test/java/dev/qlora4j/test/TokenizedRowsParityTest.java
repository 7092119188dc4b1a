package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.train.compute.Compute;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.DataSpec;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.PaddedBatch;
import dev.qlora4j.train.data.TrainingData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pre-tokenized rows against transformers + PEFT: each fixture's reference batch (input_ids,
 * attention_mask, labels as transformers built them) written as {@code data_format: "tokenized"}
 * rows and loaded by {@link TrainingData#load} as training loads them gives exactly the reference
 * ids and labels, and the loss and LoRA gradients the trainer computes from those examples are
 * PEFT's, within the tolerances of {@link LoraParityTest}.
 */
class TokenizedRowsParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<Fixture> fixtures() {
        return LoraParityTest.fixtures();
    }

    /** The reference batch as JSONL rows, padding included (the loader drops it by the attention mask). */
    private static Path rows(Fixture f, Path file) throws IOException {
        JsonNode ref = f.reference();
        boolean classifier = ref.get("labels").get(0).isNumber();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ref.get("input_ids").size(); i++) {
            ObjectNode row = JSON.createObjectNode();
            row.set("input_ids", ref.get("input_ids").get(i));
            row.set("attention_mask", ref.get("attention_mask").get(i));
            row.set(classifier ? "label" : "labels", ref.get("labels").get(i));
            sb.append(row).append('\n');
        }
        return Files.writeString(file, sb);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void theReferenceBatchAsTokenizedRowsGivesPeftsLossAndGradients(Fixture f, @TempDir Path tmp) throws IOException {
        TrainingData data = TrainingData.load(DataSpec.builder(rows(f, tmp.resolve("train.jsonl"))).dataFormat(DataFormat.TOKENIZED)
                .shuffle(false).build(), f.model());
        JsonNode ref = f.reference();
        int n = ref.get("input_ids").size();
        List<Example> examples = data.train();
        assertThat(examples).hasSize(n);
        assertThat(data.eval()).isEmpty();
        assertThat(data.report().train().dropped().count()).isZero();

        // the examples: the reference rows where the attention mask is 1, ids and labels exactly
        for (int i = 0; i < n; i++) {
            JsonNode ids = ref.get("input_ids").get(i), mask = ref.get("attention_mask").get(i);
            int[] keep = java.util.stream.IntStream.range(0, ids.size()).filter(j -> mask.get(j).asInt() == 1).toArray();
            assertThat(examples.get(i).inputIds()).as("row %d input_ids", i)
                    .containsExactly(java.util.Arrays.stream(keep).map(j -> ids.get(j).asInt()).toArray());
            if (data.task() == Task.CAUSAL_LM) {
                JsonNode labels = ref.get("labels").get(i);
                assertThat(examples.get(i).labels()).as("row %d labels", i)
                        .containsExactly(java.util.Arrays.stream(keep).map(j -> labels.get(j).asInt()).toArray());
            } else {
                assertThat(examples.get(i).classLabel()).as("row %d label", i).isEqualTo(ref.get("labels").get(i).asInt());
            }
        }
        // collated to the longest row, the batch is the reference's: mask and labels exactly, ids wherever the mask is 1
        PaddedBatch exact = new Collator(data.task(), data.padId(), 1).collate(examples);
        assertThat(exact.attentionMask().toIntArray()).containsExactly(f.ints("attention_mask").toIntArray());
        int[] refIds = f.ints("input_ids").toIntArray(), refMask = f.ints("attention_mask").toIntArray(), got = exact.inputIds().toIntArray();
        for (int k = 0; k < refIds.length; k++) if (refMask[k] == 1) assertThat(got[k]).as("input_ids[%d]", k).isEqualTo(refIds[k]);
        if (data.task() == Task.CAUSAL_LM) {
            assertThat(exact.labels().toIntArray()).containsExactly(f.ints("labels").toIntArray());
            assertThat(exact.labelTokens()).isEqualTo(ref.get("loss_tokens").asLong());
        } else {
            assertThat(exact.labels().toIntArray()).containsExactly(f.intList(ref.get("labels")));
        }

        // the loss and gradients as the trainer computes them, from the training collator's batch (padded to a multiple of 8)
        PaddedBatch b = data.collator().collate(examples);
        try (Transformer model = Transformer.load(f.model());
             SafetensorsFile grads = SafetensorsFile.open(f.dir().resolve("expected_lora_grads.safetensors"))) {
            LoraModel lora = LoraModel.load(model, f.dir().resolve("adapter_init"), null);
            Map<String, Tensor> params = lora.stateDict();
            Compute compute = new Compute.Cpu(model);
            double loss = data.task() == Task.CAUSAL_LM
                    ? compute.lossAndBackward(b, CrossEntropy.Reduction.SUM, b.labelTokens(), 0)
                    : compute.lossAndBackward(b, CrossEntropy.Reduction.MEAN, 1, 0);
            JsonNode want = ref.has("lora_loss") ? ref.get("lora_loss") : ref.get("lora").get("lora_loss");
            assertThat(loss).isCloseTo(want.asDouble(), org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, want.asDouble())));
            assertThat(grads.names()).hasSameSizeAs(params.keySet());
            for (String key : grads.names()) {
                Tensor p = params.get(key.replace(".modules_to_save.weight", ".weight"));
                assertThat(p).as("trainable tensor for " + key).isNotNull();
                LoraParityTest.assertRelativelyClose(p.grad().toFloatArray(), grads.copyOf(key).toFloatArray(), 1e-4, key);
            }
        }
    }
}
