package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every config in examples/ parses, its lora and quantization blocks included, so the examples cannot rot. */
class ExampleConfigsTest {
    private static final Path EXAMPLES = Path.of("..", "examples");

    private static List<Path> exampleFiles() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static TrainingConfig load(String name) {
        return TrainingConfigParser.load(EXAMPLES.resolve(name), List.of());
    }

    @Test
    void everyExampleParsesWithItsAdapterAndQuantizationBlocks() throws IOException {
        List<Path> files = exampleFiles();
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("socratic-sft-gemma2-2b.json",
                "qlora-messages-sft.json", "gemma2-9b-preference-classification.json", "llama3-8b-classification.json");
        for (Path f : files) {
            TrainingConfig c = TrainingConfigParser.load(f, List.of());
            assertThat(c.lora()).as(f + " has a lora block").isNotNull();
            LoraConfig lora = LoraConfig.fromJson(c.lora(), f + ": lora");
            assertThat(lora.r()).isPositive();
            if (c.quantization() != null) {
                ObjectNode wrapper = JsonNodeFactory.instance.objectNode();
                wrapper.set("quantization_config", c.quantization());
                assertThat(QuantizationConfig.fromConfig(wrapper, f)).isNotNull();
            }
            assertThat(EXAMPLES.resolve("README.md")).content().as("README describes " + f.getFileName()).contains(f.getFileName().toString());
        }
    }

    @Test
    void socraticRecipeHasTheProjectsSettings() {
        TrainingConfig c = load("socratic-sft-gemma2-2b.json");
        assertThat(c.numTrainEpochs()).isEqualTo(30);
        assertThat(c.learningRate()).isEqualTo(2e-4);
        assertThat(c.weightDecay()).isEqualTo(0.01);
        assertThat(c.warmupRatio()).isEqualTo(0.1);
        assertThat(c.lrSchedulerType()).isEqualTo("cosine");
        assertThat(c.evalSteps()).isEqualTo(100);
        assertThat(c.saveSteps()).isEqualTo(100);
        assertThat(c.gradientAccumulationSteps()).isEqualTo(8);
        assertThat(c.perDeviceTrainBatchSize()).isEqualTo(2);
        assertThat(c.gradientCheckpointing()).isTrue();
        assertThat(c.maxGradNorm()).isEqualTo(1.0);
        assertThat(c.saveTotalLimit()).isEqualTo(10);
        assertThat(c.loadBestModelAtEnd()).isTrue();
        assertThat(c.metricForBestModel()).isEqualTo("perplexity");
    }

    @Test
    void qloraRecipeQuantizesToNf4WithDoubleQuant() {
        TrainingConfig c = load("qlora-messages-sft.json");
        assertThat(c.quantization().get("bnb_4bit_quant_type").asText()).isEqualTo("nf4");
        assertThat(c.quantization().get("bnb_4bit_use_double_quant").asBoolean()).isTrue();
        assertThat(c.quantization().get("bnb_4bit_compute_dtype").asText()).isEqualTo("bfloat16");
        LoraConfig lora = LoraConfig.fromJson(c.lora(), "lora");
        assertThat(lora.r()).isEqualTo(16);
        assertThat(lora.loraAlpha()).isEqualTo(32);
        assertThat(lora.targetModules()).containsExactly("q_proj", "v_proj");
        assertThat(c.gradientAccumulationSteps()).isEqualTo(16);
        assertThat(c.learningRate()).isEqualTo(2e-5);
    }

    @Test
    void classificationRecipes() {
        TrainingConfig gemma = load("gemma2-9b-preference-classification.json");
        assertThat(gemma.dataFormat()).isEqualTo("preference_pair");
        assertThat(gemma.optim()).isEqualTo("adamw_8bit");
        assertThat(gemma.fold()).isZero();
        assertThat(gemma.numFolds()).isEqualTo(5);
        assertThat(gemma.warmupSteps()).isEqualTo(20);
        assertThat(gemma.perDeviceTrainBatchSize()).isEqualTo(4);
        LoraConfig g = LoraConfig.fromJson(gemma.lora(), "lora");
        assertThat(g.layersToTransform()).hasSize(26).startsWith(16).endsWith(41);
        assertThat(g.targetModules()).containsExactly("q_proj", "k_proj", "v_proj");

        TrainingConfig llama = load("llama3-8b-classification.json");
        assertThat(llama.perDeviceTrainBatchSize() * llama.gradientAccumulationSteps()).isEqualTo(16);
        assertThat(llama.fraction()).isEqualTo(0.5);
        assertThat(llama.warmupSteps()).isEqualTo(128);
        assertThat(llama.learningRate()).isEqualTo(5e-5);
        LoraConfig l = LoraConfig.fromJson(llama.lora(), "lora");
        assertThat(l.r()).isEqualTo(4);
        assertThat(l.loraAlpha()).isEqualTo(8);
        assertThat(l.targetModules()).containsExactly("o_proj", "v_proj");
    }
}
