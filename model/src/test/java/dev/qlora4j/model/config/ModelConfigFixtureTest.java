package dev.qlora4j.model.config;

import dev.qlora4j.model.config.RopeConfig.RopeType;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.qlora4j.model.config.LayerType.FULL_ATTENTION;
import static dev.qlora4j.model.config.LayerType.SLIDING_ATTENTION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/** The config.json files transformers 5.17 wrote for the reference fixtures (rope_parameters style). */
class ModelConfigFixtureTest {
    static Path model(String name) {
        return Path.of("..", "fixtures", "hf", name, "model");
    }

    @Test
    void llama() {
        ModelConfig c = ModelConfig.load(model("llama"));
        assertThat(c.family()).isEqualTo(ModelFamily.LLAMA);
        assertThat(c.architecture()).isEqualTo("LlamaForCausalLM");
        assertThat(c.task()).isEqualTo(Task.CAUSAL_LM);
        assertThat(List.of(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), c.maxPositionEmbeddings()))
                .containsExactly(384, 64, 160, 2, 256);
        AttentionConfig a = c.attention();
        assertThat(List.of(a.numHeads(), a.numKeyValueHeads(), a.headDim(), a.groupSize())).containsExactly(4, 2, 16, 2);
        assertThat(a.qkvBias()).isFalse();
        assertThat(a.outputBias()).isFalse();
        assertThat(a.scaling()).isEqualTo(0.25);
        assertThat(a.layerTypes()).containsExactly(FULL_ATTENTION, FULL_ATTENTION);
        assertThat(a.windowOf(0)).isNull();
        assertThat(a.logitSoftcapping()).isNull();
        assertThat(c.rmsNormEps()).isEqualTo(1e-5);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.mlpBias()).isFalse();
        assertThat(c.activation()).isEqualTo(Activation.SILU);
        assertThat(c.rope()).isEqualTo(RopeConfig.defaultRope(10_000));
        assertThat(c.tokenIds()).isEqualTo(new SpecialTokenIds(378, List.of(382), 383));
        assertThat(c.dtype()).isEqualTo(DType.F32);
        assertThat(c.classification()).isNull();
        assertThat(c.normAddsOne()).isFalse();
        assertThat(c.scalesEmbeddings()).isFalse();
        assertThat(c.finalLogitSoftcapping()).isNull();
        assertThat(c.ropeInverseFrequencies()).hasSize(8);
    }

    @Test
    void acceptsTheFolderOrTheFile() {
        ModelConfig byFolder = ModelConfig.load(model("llama"));
        ModelConfig byFile = ModelConfig.load(model("llama").resolve("config.json"));
        assertThat(byFolder.file()).isEqualTo(model("llama").resolve("config.json"));
        assertThat(byFile).isEqualTo(byFolder);
    }

    @Test
    void llama31ShardedBf16() {
        ModelConfig c = ModelConfig.load(model("llama31-bf16-sharded"));
        assertThat(List.of(c.numHiddenLayers(), c.attention().numHeads(), c.attention().numKeyValueHeads(), c.headDim()))
                .containsExactly(3, 8, 2, 8);
        assertThat(c.rope()).isEqualTo(new RopeConfig(RopeType.LLAMA3, 500_000, 8, 1, 4, 64, 1.0));
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.dtype()).isEqualTo(DType.BF16);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(1024);
    }

    @Test
    void qwen2() {
        ModelConfig c = ModelConfig.load(model("qwen2"));
        assertThat(c.family()).isEqualTo(ModelFamily.QWEN2);
        AttentionConfig a = c.attention();
        assertThat(a.qkvBias()).isTrue();
        assertThat(a.outputBias()).isFalse();
        assertThat(a.headDim()).isEqualTo(16);
        assertThat(a.slidingWindow()).isNull();
        assertThat(a.useSlidingWindow()).isFalse();
        assertThat(a.maxWindowLayers()).isEqualTo(28);
        assertThat(a.layerTypes()).containsExactly(FULL_ATTENTION, FULL_ATTENTION);
        assertThat(c.rope()).isEqualTo(RopeConfig.defaultRope(1e6));
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.mlpBias()).isFalse();
    }

    @Test
    void gemma2() {
        ModelConfig c = ModelConfig.load(model("gemma2"));
        assertThat(c.family()).isEqualTo(ModelFamily.GEMMA2);
        assertThat(c.normAddsOne()).isTrue();
        assertThat(c.scalesEmbeddings()).isTrue();
        assertThat(c.sandwichNorms()).isTrue();
        assertThat(c.activation()).isEqualTo(Activation.GELU_TANH);
        AttentionConfig a = c.attention();
        assertThat(List.of(a.numHeads(), a.numKeyValueHeads(), a.headDim())).containsExactly(4, 2, 16);
        assertThat(a.queryPreAttnScalar()).isEqualTo(16.0);
        assertThat(a.scaling()).isEqualTo(0.25);
        assertThat(a.logitSoftcapping()).isEqualTo(50.0);
        assertThat(c.finalLogitSoftcapping()).isEqualTo(30.0);
        assertThat(a.slidingWindow()).isEqualTo(4);
        assertThat(a.layerTypes()).containsExactly(SLIDING_ATTENTION, FULL_ATTENTION, SLIDING_ATTENTION);
        assertThat(a.windowOf(0)).isEqualTo(4);
        assertThat(a.windowOf(1)).isNull();
        assertThat(a.windowOf(2)).isEqualTo(4);
        assertThat(c.tokenIds()).isEqualTo(new SpecialTokenIds(1001, List.of(1000), 0));
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.vocabSize()).isEqualTo(1002);
    }

    @Test
    void llamaSequenceClassification() {
        ModelConfig c = ModelConfig.load(model("llama-seqcls"));
        assertThat(c.task()).isEqualTo(Task.SEQUENCE_CLASSIFICATION);
        assertThat(c.architecture()).isEqualTo("LlamaForSequenceClassification");
        ClassificationHead h = c.classification();
        assertThat(h.numLabels()).isEqualTo(3);
        assertThat(h.id2label()).containsExactly(entry(0, "LABEL_0"), entry(1, "LABEL_1"), entry(2, "LABEL_2"));
        assertThat(h.label2id()).containsExactly(entry("LABEL_0", 0), entry("LABEL_1", 1), entry("LABEL_2", 2));
        assertThat(h.problemType()).isNull();
        assertThat(c.requirePadTokenId()).isEqualTo(383);
    }

    @Test
    void gemma2SequenceClassification() {
        ModelConfig c = ModelConfig.load(model("gemma2-seqcls"));
        assertThat(c.task()).isEqualTo(Task.SEQUENCE_CLASSIFICATION);
        assertThat(c.family()).isEqualTo(ModelFamily.GEMMA2);
        assertThat(c.classification().numLabels()).isEqualTo(3);
        assertThat(c.requirePadTokenId()).isZero();
        assertThat(c.attention().layerTypes()).containsExactly(SLIDING_ATTENTION, FULL_ATTENTION, SLIDING_ATTENTION);
    }

    @Test
    void summaryForInspect() {
        Map<String, Object> s = ModelConfig.load(model("gemma2-seqcls")).toSummary();
        assertThat(s).containsExactly(
                entry("model_type", "gemma2"), entry("architecture", "Gemma2ForSequenceClassification"),
                entry("task", "sequence-classification"), entry("layers", 3), entry("hidden", 64),
                entry("intermediate", 128), entry("heads", 4), entry("kv_heads", 2), entry("head_dim", 16),
                entry("vocab", 1002), entry("max_positions", 256), entry("rope", "default theta=10000"),
                entry("dtype", "float32"), entry("activation", "gelu_pytorch_tanh"), entry("tie_word_embeddings", true),
                entry("sliding_window", 4), entry("sliding_layers", List.of(0, 2)),
                entry("attn_logit_softcapping", 50.0), entry("final_logit_softcapping", 30.0),
                entry("query_pre_attn_scalar", 16.0), entry("num_labels", 3),
                entry("labels", List.of("LABEL_0", "LABEL_1", "LABEL_2")));
        assertThat(ModelConfig.load(model("llama31-bf16-sharded")).toSummary())
                .contains(entry("task", "causal-lm"), entry("dtype", "bfloat16"),
                        entry("rope", "llama3 theta=500000 factor=8 low=1 high=4 original_max=64"))
                .doesNotContainKeys("num_labels", "sliding_window");
    }

    @Test
    void generationConfigFromTheFixture() {
        ModelConfig c = ModelConfig.load(model("llama"));
        GenerationConfig g = GenerationConfig.load(model("llama"), c);
        assertThat(g).isEqualTo(new GenerationConfig(new SpecialTokenIds(378, List.of(382), 383), false, 1.0, 50, 1.0, null, 20));
        assertThat(g.newTokenBudget(5)).isEqualTo(15);
    }

    @Test
    void generationConfigMissingFallsBackToConfigJson() {
        ModelConfig c = ModelConfig.load(model("llama-seqcls"));
        assertThat(GenerationConfig.load(model("llama-seqcls"), c)).isEqualTo(GenerationConfig.fromModelConfig(c));
        assertThat(GenerationConfig.fromModelConfig(c).tokenIds()).isEqualTo(c.tokenIds());
    }

    @Test
    void missingFolderOrFile() {
        assertThatThrownBy(() -> ModelConfig.load(Path.of("..", "fixtures", "hf")))
                .isInstanceOf(BadInputException.class)
                .hasMessage("no config.json in the model folder (" + Path.of("..", "fixtures", "hf", "config.json") + ")");
        assertThatThrownBy(() -> ModelConfig.load(Path.of("no-such-dir", "config.json")))
                .isInstanceOf(BadInputException.class).hasMessage("file not found (" + Path.of("no-such-dir", "config.json") + ")");
    }
}
