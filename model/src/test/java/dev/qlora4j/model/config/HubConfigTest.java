package dev.qlora4j.model.config;

import dev.qlora4j.model.config.RopeConfig.RopeType;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import static dev.qlora4j.model.config.LayerType.FULL_ATTENTION;
import static dev.qlora4j.model.config.LayerType.SLIDING_ATTENTION;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Config files as older transformers versions wrote them on the Hub (rope_theta / rope_scaling,
 * torch_dtype, no layer_types), each checked against what transformers 5 derives: the class
 * defaults of LlamaConfig / Qwen2Config / Gemma2Config and the rope standardisation.
 */
class HubConfigTest {
    static ModelConfig parse(String json) {
        return ModelConfig.parse(JsonFiles.readObjectFromString(json, "config.json"), Path.of("config.json"));
    }

    static final String LLAMA_31_8B = """
            {
              "architectures": ["LlamaForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "bos_token_id": 128000,
              "eos_token_id": 128001,
              "hidden_act": "silu",
              "hidden_size": 4096,
              "initializer_range": 0.02,
              "intermediate_size": 14336,
              "max_position_embeddings": 131072,
              "mlp_bias": false,
              "model_type": "llama",
              "num_attention_heads": 32,
              "num_hidden_layers": 32,
              "num_key_value_heads": 8,
              "pretraining_tp": 1,
              "rms_norm_eps": 1e-05,
              "rope_scaling": {
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192,
                "rope_type": "llama3"
              },
              "rope_theta": 500000.0,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.43.0.dev0",
              "use_cache": true,
              "vocab_size": 128256
            }""";

    @Test
    void llama31WithRopeScaling() {
        ModelConfig c = parse(LLAMA_31_8B);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.attention().numKeyValueHeads()).isEqualTo(8);
        assertThat(c.rope()).isEqualTo(new RopeConfig(RopeType.LLAMA3, 500_000, 8, 1, 4, 8192, 1.0));
        assertThat(c.ropeInverseFrequencies()).hasSize(64);
        assertThat(c.tokenIds()).isEqualTo(new SpecialTokenIds(128000, List.of(128001), null));
        assertThat(c.dtype()).isEqualTo(DType.BF16);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(131072);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.attention().layerTypes()).hasSize(32).containsOnly(FULL_ATTENTION);
    }

    @Test
    void llama31InstructListsThreeEosIdsAndSamples(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"),
                LLAMA_31_8B.replace("\"eos_token_id\": 128001", "\"eos_token_id\": [128001, 128008, 128009]"));
        Files.writeString(dir.resolve("generation_config.json"), """
                {
                  "bos_token_id": 128000,
                  "do_sample": true,
                  "eos_token_id": [128001, 128008, 128009],
                  "temperature": 0.6,
                  "top_p": 0.9,
                  "transformers_version": "4.42.3"
                }""");
        ModelConfig c = ModelConfig.load(dir);
        assertThat(c.tokenIds().eos()).containsExactly(128001, 128008, 128009);
        GenerationConfig g = GenerationConfig.load(dir, c);
        assertThat(g).isEqualTo(new GenerationConfig(new SpecialTokenIds(128000, List.of(128001, 128008, 128009), null),
                true, 0.6, 50, 0.9, null, 20));
    }

    /** Llama 2 style: no head_dim, no num_key_value_heads, no rope fields at all. */
    @Test
    void llamaDefaultsWhenFieldsAreAbsent() {
        ModelConfig c = parse("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
                 "intermediate_size": 11008, "num_attention_heads": 32, "num_hidden_layers": 32, "vocab_size": 32000}""");
        assertThat(c.attention().numKeyValueHeads()).isEqualTo(32);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.rope()).isEqualTo(RopeConfig.defaultRope(10_000));
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(2048);
        assertThat(c.tokenIds()).isEqualTo(new SpecialTokenIds(1, List.of(2), null));
        assertThat(c.dtype()).isNull();
        assertThat(c.activation()).isEqualTo(Activation.SILU);
    }

    @Test
    void qwen2With1e6ThetaAndSlidingWindowSwitchedOff() {
        ModelConfig c = parse("""
                {
                  "architectures": ["Qwen2ForCausalLM"],
                  "attention_dropout": 0.0,
                  "bos_token_id": 151643,
                  "eos_token_id": 151643,
                  "hidden_act": "silu",
                  "hidden_size": 3584,
                  "initializer_range": 0.02,
                  "intermediate_size": 18944,
                  "max_position_embeddings": 131072,
                  "max_window_layers": 28,
                  "model_type": "qwen2",
                  "num_attention_heads": 28,
                  "num_hidden_layers": 28,
                  "num_key_value_heads": 4,
                  "rms_norm_eps": 1e-06,
                  "rope_theta": 1000000.0,
                  "sliding_window": 131072,
                  "tie_word_embeddings": false,
                  "torch_dtype": "bfloat16",
                  "transformers_version": "4.37.2",
                  "use_cache": true,
                  "use_sliding_window": false,
                  "vocab_size": 152064
                }""");
        assertThat(c.family()).isEqualTo(ModelFamily.QWEN2);
        assertThat(c.rope()).isEqualTo(RopeConfig.defaultRope(1e6));
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.attention().numKeyValueHeads()).isEqualTo(4);
        assertThat(c.attention().qkvBias()).isTrue();
        // Qwen2Config sets sliding_window to None unless use_sliding_window, so every layer is full
        assertThat(c.attention().slidingWindow()).isNull();
        assertThat(c.attention().maxWindowLayers()).isEqualTo(28);
        assertThat(c.attention().layerTypes()).hasSize(28).containsOnly(FULL_ATTENTION);
        assertThat(c.tokenIds()).isEqualTo(new SpecialTokenIds(151643, List.of(151643), null));
        assertThat(c.tieWordEmbeddings()).isFalse();
    }

    @Test
    void qwen2SlidesFromMaxWindowLayersWhenEnabled() {
        ModelConfig c = parse("""
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 4, "vocab_size": 100,
                 "use_sliding_window": true, "sliding_window": 16, "max_window_layers": 2}""");
        assertThat(c.attention().layerTypes()).containsExactly(FULL_ATTENTION, FULL_ATTENTION, SLIDING_ATTENTION, SLIDING_ATTENTION);
        assertThat(c.attention().windowOf(1)).isNull();
        assertThat(c.attention().windowOf(3)).isEqualTo(16);
        // Qwen2Config's num_key_value_heads defaults to 32 only when the key is absent; null means "= heads"
        assertThat(parse("""
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_key_value_heads": null, "num_hidden_layers": 1, "vocab_size": 100}""")
                .attention().numKeyValueHeads()).isEqualTo(4);
    }

    static String gemma2(String size) {
        return switch (size) {
            case "2b" -> """
                    {
                      "architectures": ["Gemma2ForCausalLM"],
                      "attention_bias": false,
                      "attention_dropout": 0.0,
                      "attn_logit_softcapping": 50.0,
                      "bos_token_id": 2,
                      "cache_implementation": "hybrid",
                      "eos_token_id": 1,
                      "final_logit_softcapping": 30.0,
                      "head_dim": 256,
                      "hidden_act": "gelu_pytorch_tanh",
                      "hidden_activation": "gelu_pytorch_tanh",
                      "hidden_size": 2304,
                      "initializer_range": 0.02,
                      "intermediate_size": 9216,
                      "max_position_embeddings": 8192,
                      "model_type": "gemma2",
                      "num_attention_heads": 8,
                      "num_hidden_layers": 26,
                      "num_key_value_heads": 4,
                      "pad_token_id": 0,
                      "query_pre_attn_scalar": 256,
                      "rms_norm_eps": 1e-06,
                      "rope_theta": 10000.0,
                      "sliding_window": 4096,
                      "torch_dtype": "float32",
                      "transformers_version": "4.42.4",
                      "use_cache": true,
                      "vocab_size": 256000
                    }""";
            default -> """
                    {
                      "architectures": ["Gemma2ForCausalLM"],
                      "attention_bias": false,
                      "attention_dropout": 0.0,
                      "attn_logit_softcapping": 50.0,
                      "bos_token_id": 2,
                      "cache_implementation": "hybrid",
                      "eos_token_id": 1,
                      "final_logit_softcapping": 30.0,
                      "head_dim": 256,
                      "hidden_act": "gelu_pytorch_tanh",
                      "hidden_activation": "gelu_pytorch_tanh",
                      "hidden_size": 3584,
                      "initializer_range": 0.02,
                      "intermediate_size": 14336,
                      "max_position_embeddings": 8192,
                      "model_type": "gemma2",
                      "num_attention_heads": 16,
                      "num_hidden_layers": 42,
                      "num_key_value_heads": 8,
                      "pad_token_id": 0,
                      "query_pre_attn_scalar": 256,
                      "rms_norm_eps": 1e-06,
                      "rope_theta": 10000.0,
                      "sliding_window": 4096,
                      "sliding_window_size": 4096,
                      "torch_dtype": "float32",
                      "transformers_version": "4.42.0.dev0",
                      "use_cache": true,
                      "vocab_size": 256000
                    }""";
        };
    }

    /** Gemma2Config without layer_types: sliding_attention if (i + 1) % 2 else full_attention. */
    @Test
    void gemma2bAlternatesStartingWithSliding() {
        ModelConfig c = parse(gemma2("2b"));
        List<LayerType> types = c.attention().layerTypes();
        assertThat(types).hasSize(26);
        for (int i = 0; i < 26; i++)
            assertThat(types.get(i)).as("layer %d", i).isEqualTo(i % 2 == 0 ? SLIDING_ATTENTION : FULL_ATTENTION);
        assertThat(c.headDim()).isEqualTo(256);
        assertThat(c.attention().scaling()).isEqualTo(1.0 / 16);
        assertThat(c.attention().slidingWindow()).isEqualTo(4096);
        assertThat(c.attention().logitSoftcapping()).isEqualTo(50.0);
        assertThat(c.finalLogitSoftcapping()).isEqualTo(30.0);
        assertThat(c.activation()).isEqualTo(Activation.GELU_TANH);
        assertThat(c.rope()).isEqualTo(RopeConfig.defaultRope(10_000));
        // tie_word_embeddings is absent: Gemma2Config defaults it to true
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.tokenIds()).isEqualTo(new SpecialTokenIds(2, List.of(1), 0));
        assertThat(c.dtype()).isEqualTo(DType.F32);
    }

    @Test
    void gemma9b() {
        ModelConfig c = parse(gemma2("9b"));
        assertThat(List.of(c.numHiddenLayers(), c.hiddenSize(), c.attention().numHeads(), c.attention().numKeyValueHeads(), c.headDim()))
                .containsExactly(42, 3584, 16, 8, 256);
        // head_dim 256 ≠ hidden/heads = 224: the explicit value counts
        assertThat(c.attention().layerTypes().get(41)).isEqualTo(FULL_ATTENTION);
        assertThat(c.attention().layerTypes().get(40)).isEqualTo(SLIDING_ATTENTION);
        assertThat(Collections.frequency(c.attention().layerTypes(), SLIDING_ATTENTION)).isEqualTo(21);
    }

    @Test
    void gemma2NullsSwitchFeaturesOffAndAbsentFieldsTakeClassDefaults() {
        ModelConfig c = parse("""
                {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 100,
                 "final_logit_softcapping": null, "attn_logit_softcapping": null, "sliding_window": null}""");
        assertThat(c.finalLogitSoftcapping()).isNull();
        assertThat(c.attention().logitSoftcapping()).isNull();
        assertThat(c.attention().slidingWindow()).isNull();
        assertThat(c.attention().windowOf(0)).isNull();
        // absent: head_dim 256, num_key_value_heads 4, query_pre_attn_scalar 256 (Gemma2Config defaults)
        assertThat(c.headDim()).isEqualTo(256);
        assertThat(c.attention().numKeyValueHeads()).isEqualTo(4);
        assertThat(c.attention().queryPreAttnScalar()).isEqualTo(256.0);
    }

    @Test
    void legacyTypeKeyAndLinearScaling() {
        ModelConfig c = parse("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_hidden_layers": 1, "vocab_size": 100, "rope_theta": 20000.0,
                 "rope_scaling": {"type": "linear", "factor": 2.0}}""");
        assertThat(c.rope()).isEqualTo(new RopeConfig(RopeType.LINEAR, 20_000, 2, Double.NaN, Double.NaN, 0, 1.0));
    }

    @Test
    void ropeScalingNullFallsBackToRopeParametersOrTheta() {
        String base = """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_hidden_layers": 1, "vocab_size": 100, %s}""";
        assertThat(parse(base.formatted("\"rope_theta\": 5e5, \"rope_scaling\": null")).rope()).isEqualTo(RopeConfig.defaultRope(5e5));
        // the dict's own rope_theta wins over the top-level one
        assertThat(parse(base.formatted("\"rope_theta\": 5e5, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1e4}")).rope())
                .isEqualTo(RopeConfig.defaultRope(1e4));
        // llama3 without original_max_position_embeddings takes max_position_embeddings
        assertThat(parse(base.formatted("\"max_position_embeddings\": 4096, \"rope_parameters\": {\"rope_type\": \"llama3\", "
                + "\"rope_theta\": 5e5, \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0}")).rope())
                .isEqualTo(new RopeConfig(RopeType.LLAMA3, 5e5, 8, 1, 4, 4096, 1.0));
    }

    @Test
    void ropeParametersPerLayerTypeWhenAllAgree() {
        ModelConfig c = parse("""
                {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 100, "head_dim": 16,
                 "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 10000.0},
                                     "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}}""");
        assertThat(c.rope()).isEqualTo(RopeConfig.defaultRope(10_000));
    }
}
