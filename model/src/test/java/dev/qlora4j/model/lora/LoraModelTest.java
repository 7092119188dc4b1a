package dev.qlora4j.model.lora;

import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.tensor.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoraModelTest {
    private static final Path LLAMA = Path.of("..", "fixtures", "hf", "llama", "model");
    private static final Path LLAMA_ADAPTER = Path.of("..", "fixtures", "hf", "llama", "adapter_init");

    private static LoraConfig config(List<String> targets, List<Integer> layers) {
        return new LoraConfig(4, 8, 0, targets, false, layers, null, false, null, null, "CAUSAL_LM", null);
    }

    @Test
    void targetsFollowPeftNameMatching() {
        LoraConfig qv = config(List.of("q_proj", "v_proj"), null);
        assertThat(LoraModel.targeted(qv, "model.layers.0.self_attn.q_proj")).isTrue();
        assertThat(LoraModel.targeted(qv, "model.layers.0.self_attn.k_proj")).isFalse();
        // a full dotted suffix works too, a partial word does not
        assertThat(LoraModel.targeted(config(List.of("self_attn.v_proj"), null), "model.layers.3.self_attn.v_proj")).isTrue();
        assertThat(LoraModel.targeted(config(List.of("proj"), null), "model.layers.3.self_attn.v_proj")).isFalse();
        LoraConfig layers = config(List.of("q_proj"), List.of(1, 2));
        assertThat(LoraModel.targeted(layers, "model.layers.1.self_attn.q_proj")).isTrue();
        assertThat(LoraModel.targeted(layers, "model.layers.0.self_attn.q_proj")).isFalse();
        assertThat(LoraModel.targeted(layers, "model.layers.12.self_attn.q_proj")).isFalse();
        LoraConfig regex = new LoraConfig(4, 8, 0, List.of(".*\\.(q|v)_proj"), true, null, null, false, null, null, null, null);
        assertThat(LoraModel.targeted(regex, "model.layers.5.self_attn.q_proj")).isTrue();
        assertThat(LoraModel.targeted(regex, "model.layers.5.mlp.up_proj")).isFalse();
        assertThat(LoraModel.targeted(config(List.of(LoraConfig.ALL_LINEAR), null), "model.layers.5.mlp.up_proj")).isTrue();
    }

    @Test
    void freshAdaptersStartAtTheBaseModelAndInitAsPeft() {
        try (Transformer model = Transformer.load(LLAMA)) {
            Tensor ids = Tensor.ofInts(new int[]{5, 17, 42, 99, 3}, 1, 5);
            float[] before = model.lmLogits(model.hidden(ids, null, null)).toFloatArray();
            LoraModel lora = LoraModel.attach(model, config(List.of("q_proj", "v_proj"), null), new Generator(1), null);
            assertThat(lora.adapters()).hasSize(2 * model.config().numHiddenLayers());
            float[] after = model.lmLogits(model.hidden(ids, null, null)).toFloatArray();
            assertThat(after).containsExactly(before);   // B = 0
            LoraLinear q = lora.adapters().get("model.layers.0.self_attn.q_proj");
            float bound = (float) (1 / Math.sqrt(q.inFeatures()));
            for (float a : q.loraA().toFloatArray()) assertThat(Math.abs(a)).isLessThanOrEqualTo(bound);
            assertThat(q.loraB().toFloatArray()).containsOnly(0f);
            assertThat(q.scale()).isEqualTo(2f);
        }
    }

    @Test
    void saveAndLoadRoundTripInPeftLayout(@TempDir Path dir) throws IOException {
        Map<String, float[]> saved = new LinkedHashMap<>();
        try (Transformer model = Transformer.load(LLAMA)) {
            LoraModel lora = LoraModel.attach(model, config(List.of("q_proj", "down_proj"), List.of(1)), new Generator(2), null);
            lora.stateDict().forEach((k, v) -> saved.put(k, v.toFloatArray()));
            lora.save(dir);
        }
        assertThat(saved.keySet()).containsExactly("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight",
                "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(LoraModel.WEIGHTS_FILE))) {
            assertThat(f.metadata()).containsEntry("format", "pt");
        }
        LoraConfig back = LoraConfig.load(dir);
        assertThat(back.layersToTransform()).containsExactly(1);
        assertThat(back.targetModules()).containsExactly("q_proj", "down_proj");
        try (Transformer model = Transformer.load(LLAMA)) {
            LoraModel lora = LoraModel.load(model, dir, null);
            lora.stateDict().forEach((k, v) -> assertThat(v.toFloatArray()).as(k).containsExactly(saved.get(k)));
        }
    }

    @Test
    void adaptersThatDoNotFitNameTheTensor(@TempDir Path dir) throws IOException {
        Files.copy(LLAMA_ADAPTER.resolve(LoraModel.CONFIG_FILE), dir.resolve(LoraModel.CONFIG_FILE));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(LLAMA_ADAPTER.resolve(LoraModel.WEIGHTS_FILE))) {
            tensors.putAll(f.copyAll());
        }
        String key = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
        tensors.put(key, Tensor.zeros(4, 32));
        SafetensorsWriter.write(dir.resolve(LoraModel.WEIGHTS_FILE), tensors, Map.of());
        try (Transformer model = Transformer.load(LLAMA)) {
            assertThatThrownBy(() -> LoraModel.load(model, dir, null)).isInstanceOf(BadInputException.class)
                    .hasMessageContaining(key).hasMessageContaining("[4, 32]").hasMessageContaining("[4, 64]");
        }
        tensors.remove(key);
        SafetensorsWriter.write(dir.resolve(LoraModel.WEIGHTS_FILE), tensors, Map.of());
        try (Transformer model = Transformer.load(LLAMA)) {
            assertThatThrownBy(() -> LoraModel.load(model, dir, null)).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("missing tensor \"" + key + "\"");
        }
        try (SafetensorsFile f = SafetensorsFile.open(LLAMA_ADAPTER.resolve(LoraModel.WEIGHTS_FILE))) {
            tensors.putAll(f.copyAll());
        }
        tensors.put("base_model.model.model.layers.0.mlp.extra.lora_A.weight", Tensor.zeros(4, 64));
        SafetensorsWriter.write(dir.resolve(LoraModel.WEIGHTS_FILE), tensors, Map.of());
        try (Transformer model = Transformer.load(LLAMA)) {
            assertThatThrownBy(() -> LoraModel.load(model, dir, null)).isInstanceOf(BadInputException.class)
                    .hasMessageContaining("mlp.extra.lora_A.weight");
        }
    }
}
