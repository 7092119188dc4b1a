package dev.qlora4j.train.config;

import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.train.config.Modes.BestMetric;
import dev.qlora4j.train.config.Modes.Optim;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.trainer.LrSchedule;
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
            assertThat(c.lora().r()).isPositive();
            assertThat(c.resolved().get("lora").get("r").asInt()).isEqualTo(c.lora().r());
            assertThat(EXAMPLES.resolve("README.md")).content().as("README describes " + f.getFileName()).contains(f.getFileName().toString());
        }
    }

    @Test
    void socraticRecipeHasTheProjectsSettings() {
        TrainingConfig c = load("socratic-sft-gemma2-2b.json");
        assertThat(c.batching().numTrainEpochs()).isEqualTo(30);
        assertThat(c.optimizer().learningRate()).isEqualTo(2e-4);
        assertThat(c.optimizer().weightDecay()).isEqualTo(0.01);
        assertThat(c.schedule().warmupRatio()).isEqualTo(0.1);
        assertThat(c.schedule().type()).isEqualTo(LrSchedule.COSINE);
        assertThat(c.evaluation().steps()).isEqualTo(100);
        assertThat(c.saving().steps()).isEqualTo(100);
        assertThat(c.batching().gradientAccumulationSteps()).isEqualTo(8);
        assertThat(c.batching().perDeviceTrainBatchSize()).isEqualTo(2);
        assertThat(c.run().gradientCheckpointing()).isTrue();
        assertThat(c.optimizer().maxGradNorm()).isEqualTo(1.0);
        assertThat(c.saving().totalLimit()).isEqualTo(10);
        assertThat(c.evaluation().loadBestModelAtEnd()).isTrue();
        assertThat(c.evaluation().metricForBestModel()).isEqualTo(BestMetric.PERPLEXITY);
    }

    @Test
    void qloraRecipeQuantizesToNf4WithDoubleQuant() {
        TrainingConfig c = load("qlora-messages-sft.json");
        assertThat(c.resolved().get("quantization").get("bnb_4bit_quant_type").asText()).isEqualTo("nf4");
        assertThat(c.quantization().doubleQuant()).isTrue();
        assertThat(c.quantization().computeDtype()).isEqualTo(DType.BF16);
        LoraConfig lora = c.lora();
        assertThat(lora.r()).isEqualTo(16);
        assertThat(lora.loraAlpha()).isEqualTo(32);
        assertThat(lora.targetModules()).containsExactly("q_proj", "v_proj");
        assertThat(c.batching().gradientAccumulationSteps()).isEqualTo(16);
        assertThat(c.optimizer().learningRate()).isEqualTo(2e-5);
    }

    @Test
    void classificationRecipes() {
        TrainingConfig gemma = load("gemma2-9b-preference-classification.json");
        assertThat(gemma.data().dataFormat()).isEqualTo(DataFormat.PREFERENCE_PAIR);
        assertThat(gemma.optimizer().optim()).isEqualTo(Optim.ADAMW_8BIT);
        assertThat(gemma.data().fold()).isZero();
        assertThat(gemma.data().numFolds()).isEqualTo(5);
        assertThat(gemma.schedule().warmupSteps()).isEqualTo(20);
        assertThat(gemma.batching().perDeviceTrainBatchSize()).isEqualTo(4);
        LoraConfig g = gemma.lora();
        assertThat(g.layersToTransform()).hasSize(26).startsWith(16).endsWith(41);
        assertThat(g.targetModules()).containsExactly("q_proj", "k_proj", "v_proj");

        TrainingConfig llama = load("llama3-8b-classification.json");
        assertThat(llama.batching().perDeviceTrainBatchSize() * llama.batching().gradientAccumulationSteps()).isEqualTo(16);
        assertThat(llama.data().fraction()).isEqualTo(0.5);
        assertThat(llama.schedule().warmupSteps()).isEqualTo(128);
        assertThat(llama.optimizer().learningRate()).isEqualTo(5e-5);
        LoraConfig l = llama.lora();
        assertThat(l.r()).isEqualTo(4);
        assertThat(l.loraAlpha()).isEqualTo(8);
        assertThat(l.targetModules()).containsExactly("o_proj", "v_proj");
    }
}
