package dev.qlora4j.test;

import dev.qlora4j.model.lora.LoraMerge;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A merged checkpoint computes what base + adapter computes, in the base's dtype. */
class LoraMergeTest {
    private static float[] logits(Transformer model, Fixture f) {
        Tensor ids = f.ints("input_ids"), mask = f.ints("attention_mask");
        return switch (model.config().task()) {
            case SEQUENCE_CLASSIFICATION -> model.classify(ids, mask).toFloatArray();
            case CAUSAL_LM -> model.lmLogits(model.hidden(ids, mask, null)).toFloatArray();
        };
    }

    @Test
    void mergedF32ModelsEqualTheAdaptedOnes(@TempDir Path tmp) throws IOException {
        for (String name : new String[]{"llama", "qwen2", "gemma2-seqcls"}) {
            Fixture f = Fixture.of(Fixture.ROOT.resolve(name));
            float[] adapted;
            try (Transformer model = Transformer.load(f.model())) {
                LoraModel.load(model, f.dir().resolve("adapter_init"), null);
                adapted = logits(model, f);
            }
            Path out = tmp.resolve(name);
            LoraMerge.merge(f.model(), f.dir().resolve("adapter_init"), out);
            assertThat(out.resolve("config.json")).exists();
            assertThat(out.resolve("tokenizer.json")).exists();
            try (Transformer merged = Transformer.load(out)) {
                float[] got = logits(merged, f);
                for (int i = 0; i < got.length; i++)
                    assertThat((double) got[i]).as(name + " logit " + i).isCloseTo(adapted[i], org.assertj.core.data.Offset.offset(1e-4 * Math.max(1, Math.abs(adapted[i]))));
            }
        }
    }

    @Test
    void bf16CheckpointsStayBf16AndUntouchedTensorsAreCopiedExactly(@TempDir Path out) throws IOException {
        Fixture f = Fixture.of(Fixture.ROOT.resolve("llama31-bf16-sharded"));
        LoraMerge.merge(f.model(), f.dir().resolve("adapter_init"), out);
        assertThat(Files.list(out).filter(p -> p.toString().endsWith(".safetensors")).count()).isEqualTo(1);
        try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(f.model()); SafetensorsCheckpoint merged = SafetensorsCheckpoint.open(out)) {
            assertThat(merged.names()).containsExactlyInAnyOrderElementsOf(base.names());
            int changed = 0;
            for (String n : base.names()) {
                Tensor b = base.tensor(n), m = merged.tensor(n);
                assertThat(m.dtype()).as(n).isEqualTo(DType.BF16);
                boolean same = java.util.Arrays.equals(b.toFloatArray(), m.toFloatArray());
                if (!same) changed++;
                if (!n.contains("_proj")) assertThat(same).as(n + " is not adapted").isTrue();
            }
            assertThat(changed).as("adapted projections").isPositive();
        }
    }
}
