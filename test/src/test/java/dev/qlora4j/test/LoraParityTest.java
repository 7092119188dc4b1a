package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.train.optim.AdamW;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PEFT adapters on every fixture model: the loss with adapter_init loaded, the gradient of every
 * LoRA tensor (and of the trainable head copy) against PEFT's, and one AdamW step against torch's.
 */
class LoraParityTest {
    static List<Fixture> fixtures() {
        return Fixture.all().stream().filter(f -> Files.isDirectory(f.dir().resolve("adapter_init"))).toList();
    }

    static Tensor loss(Transformer model, Fixture f) {
        Tensor ids = f.ints("input_ids"), mask = f.ints("attention_mask");
        if (model.config().task() == Task.SEQUENCE_CLASSIFICATION) {
            Tensor labels = Tensor.ofInts(f.intList(f.reference().get("labels")), ids.size(0));
            return model.classificationLoss(ids, mask, labels, CrossEntropy.Reduction.MEAN);
        }
        return model.causalLmLoss(ids, mask, f.ints("labels"), CrossEntropy.Reduction.MEAN);
    }

    /** The reference names the trainable head copy as PEFT's wrapper does; the adapter file does not. */
    private static String adapterKey(String gradKey) {
        return gradKey.replace(".modules_to_save.weight", ".weight");
    }

    /** The fixtures with torch's adapter after one AdamW step (the classifier fixtures have none). */
    static List<Fixture> adamwFixtures() {
        return fixtures().stream().filter(f -> Files.isRegularFile(f.dir().resolve("expected_lora_after_adamw.safetensors"))).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void lossAndGradientsMatchPeft(Fixture f) {
        try (Transformer model = Transformer.load(f.model());
             SafetensorsFile grads = SafetensorsFile.open(f.dir().resolve("expected_lora_grads.safetensors"))) {
            LoraModel lora = LoraModel.load(model, f.dir().resolve("adapter_init"), null);
            Map<String, Tensor> params = lora.stateDict();
            Tensor l = loss(model, f);
            JsonNode ref = f.reference().has("lora_loss") ? f.reference().get("lora_loss") : f.reference().get("lora").get("lora_loss");
            assertThat((double) l.item()).isCloseTo(ref.asDouble(), org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, ref.asDouble())));
            l.backward();

            assertThat(grads.names()).hasSameSizeAs(params.keySet());
            for (String key : grads.names()) {
                Tensor p = params.get(adapterKey(key));
                assertThat(p).as("trainable tensor for " + key).isNotNull();
                assertRelativelyClose(p.grad().toFloatArray(), grads.copyOf(key).toFloatArray(), 1e-4, key);
            }
        }
    }

    /** One AdamW step from adapter_init with our own gradients (checked above) against torch's. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("adamwFixtures")
    void oneAdamWStepMatchesTorch(Fixture f) {
        try (Transformer model = Transformer.load(f.model())) {
            LoraModel lora = LoraModel.load(model, f.dir().resolve("adapter_init"), null);
            Map<String, Tensor> params = lora.stateDict();
            loss(model, f).backward();
            JsonNode adam = f.reference().get("lora").get("adamw");
            AdamW opt = new AdamW(lora.trainableParameters(), (float) adam.get("betas").get(0).asDouble(),
                    (float) adam.get("betas").get(1).asDouble(), (float) adam.get("eps").asDouble(),
                    (float) adam.get("weight_decay").asDouble());
            opt.step((float) adam.get("lr").asDouble());
            try (SafetensorsFile expected = SafetensorsFile.open(f.dir().resolve("expected_lora_after_adamw.safetensors"))) {
                assertThat(expected.names()).hasSameSizeAs(params.keySet());
                for (String key : expected.names()) {
                    float[] got = params.get(adapterKey(key)).toFloatArray(), want = expected.copyOf(key).toFloatArray();
                    for (int i = 0; i < want.length; i++)
                        assertThat((double) got[i]).as(key + "[" + i + "]").isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
    }

    /** Every element within tol × the largest magnitude of the reference tensor (also for TokenizedRowsParityTest). */
    static void assertRelativelyClose(float[] got, float[] want, double tol, String what) {
        assertThat(got.length).as(what).isEqualTo(want.length);
        double scale = 0;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; i < want.length; i++)
            assertThat((double) got[i]).as(what + "[" + i + "]").isCloseTo(want[i], org.assertj.core.data.Offset.offset(tol * scale));
    }
}
