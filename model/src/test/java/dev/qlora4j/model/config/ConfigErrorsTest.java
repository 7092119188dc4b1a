package dev.qlora4j.model.config;

import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad config files give one-line BadInputExceptions naming the file and the key. */
class ConfigErrorsTest {
    private static final String MINIMAL = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
             "num_attention_heads": 4, "num_hidden_layers": 1, "vocab_size": 100 %s}""";

    private static ModelConfig parse(String json) {
        return ModelConfig.parse(JsonFiles.readObjectFromString(json, "m/config.json"), Path.of("m/config.json"));
    }

    private static String with(String extra) {
        return MINIMAL.formatted(", " + extra);
    }

    @Test
    void minimalConfigParses() {
        assertThat(parse(MINIMAL.formatted("")).headDim()).isEqualTo(16);
    }

    @Test
    void unsupportedArchitectureListsTheSupportedOnes() {
        assertThatThrownBy(() -> parse("""
                {"architectures": ["MistralForCausalLM"], "hidden_size": 64}"""))
                .isInstanceOf(BadInputException.class)
                .hasMessage("unsupported architecture \"MistralForCausalLM\" (m/config.json: architectures; supported: "
                        + "LlamaForCausalLM, LlamaForSequenceClassification, Qwen2ForCausalLM, Qwen2ForSequenceClassification, "
                        + "Gemma2ForCausalLM, Gemma2ForSequenceClassification)");
    }

    @Test
    void unsupportedModelType() {
        assertThatThrownBy(() -> parse("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "mistral"}"""))
                .hasMessage("unsupported model_type \"mistral\" (m/config.json: model_type; supported: llama, qwen2, gemma2)");
    }

    @Test
    void architectureAndModelTypeMustAgree() {
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("\"llama\"", "\"qwen2\"")))
                .hasMessage("architecture \"LlamaForCausalLM\" does not match model_type \"qwen2\" (m/config.json: architectures)");
    }

    @Test
    void withoutArchitecturesTheModelTypeGivesACausalLm() {
        ModelConfig c = parse(MINIMAL.formatted("").replace("\"architectures\": [\"LlamaForCausalLM\"],", ""));
        assertThat(c.architecture()).isEqualTo("LlamaForCausalLM");
        assertThat(c.task()).isEqualTo(Task.CAUSAL_LM);
        assertThatThrownBy(() -> parse("{\"hidden_size\": 64}")).hasMessage("missing required field \"architectures\" (m/config.json)");
    }

    @Test
    void missingRequiredField() {
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("\"hidden_size\": 64,", "")))
                .isInstanceOf(BadInputException.class)
                .hasMessage("missing required field \"hidden_size\" (m/config.json)");
    }

    @Test
    void wrongJsonTypeNamesTheKey() {
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("\"hidden_size\": 64", "\"hidden_size\": \"64\"")))
                .hasMessage("\"hidden_size\" must be an integer, got string \"64\" (m/config.json: hidden_size)");
        assertThatThrownBy(() -> parse(with("\"rms_norm_eps\": true")))
                .hasMessage("\"rms_norm_eps\" must be a number, got boolean true (m/config.json: rms_norm_eps)");
        assertThatThrownBy(() -> parse(with("\"tie_word_embeddings\": 1")))
                .hasMessage("\"tie_word_embeddings\" must be true or false, got integer 1 (m/config.json: tie_word_embeddings)");
        assertThatThrownBy(() -> parse(with("\"eos_token_id\": [1, \"x\"]")))
                .hasMessage("\"eos_token_id\" must be an integer or a list of integers, got list (m/config.json: eos_token_id)");
        assertThatThrownBy(() -> parse(with("\"rope_scaling\": [1]")))
                .hasMessage("\"rope_scaling\" must be an object, got list (m/config.json: rope_scaling)");
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("\"vocab_size\": 100", "\"vocab_size\": 1e12")))
                .hasMessage("\"vocab_size\" must be an integer, got number 1.0E12 (m/config.json: vocab_size)");
    }

    @Test
    void unsupportedRopeTypeNamesTheKey() {
        assertThatThrownBy(() -> parse(with("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}")))
                .hasMessage("unsupported rope type \"yarn\" (m/config.json: rope_scaling.rope_type; supported: default, linear, dynamic, llama3)");
        assertThatThrownBy(() -> parse(with("\"rope_scaling\": {\"type\": \"longrope\"}")))
                .hasMessage("unsupported rope type \"longrope\" (m/config.json: rope_scaling.type; supported: default, linear, dynamic, llama3)");
        assertThatThrownBy(() -> parse(with("\"rope_parameters\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"high_freq_factor\": 4.0}")))
                .hasMessage("missing required field \"rope_parameters.low_freq_factor\" (m/config.json)");
        assertThatThrownBy(() -> parse(with("\"rope_scaling\": {\"rope_type\": \"linear\"}")))
                .hasMessage("missing required field \"rope_scaling.factor\" (m/config.json)");
    }

    @Test
    void differentRopePerLayerTypeIsRefused() {
        assertThatThrownBy(() -> parse("""
                {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 100, "head_dim": 16,
                 "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
                                     "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}}"""))
                .hasMessage("different rope parameters per layer type are not supported: default theta=1000000 vs default theta=10000 "
                        + "(m/config.json: rope_parameters)");
    }

    @Test
    void inconsistentShapes() {
        assertThatThrownBy(() -> parse(with("\"num_key_value_heads\": 3")))
                .hasMessage("\"num_key_value_heads\" (3) must divide num_attention_heads (4) (m/config.json: num_key_value_heads)");
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("\"hidden_size\": 64", "\"hidden_size\": 66")))
                .hasMessage("\"num_attention_heads\" (4) must divide hidden_size (66) when head_dim is absent (m/config.json: num_attention_heads)");
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 0")))
                .hasMessage("\"num_hidden_layers\" must be positive, got 0 (m/config.json: num_hidden_layers)");
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("llama", "gemma2").replace("Llama", "Gemma2")
                .replace("\"vocab_size\": 100", "\"vocab_size\": 100, \"layer_types\": [\"full_attention\", \"sliding_attention\"]")))
                .hasMessage("\"layer_types\" has 2 entries for 1 layers (num_hidden_layers) (m/config.json: layer_types)");
        assertThatThrownBy(() -> parse(MINIMAL.formatted("").replace("llama", "gemma2").replace("Llama", "Gemma2")
                .replace("\"vocab_size\": 100", "\"vocab_size\": 100, \"layer_types\": [\"chunked_attention\"]")))
                .hasMessage("\"layer_types\" has unknown entry \"chunked_attention\" (expected full_attention or sliding_attention) "
                        + "(m/config.json: layer_types)");
    }

    @Test
    void unsupportedActivationAndDtype() {
        assertThatThrownBy(() -> parse(with("\"hidden_act\": \"relu\"")))
                .hasMessage("unsupported activation \"relu\" (m/config.json: hidden_act; supported: silu, swish, gelu_pytorch_tanh, gelu_new, gelu_fast, gelu)");
        assertThatThrownBy(() -> parse(with("\"torch_dtype\": \"int8\"")))
                .hasMessage("unsupported dtype \"int8\" (m/config.json: torch_dtype; supported: float32, bfloat16, float16, float64)");
    }

    @Test
    void sequenceClassificationLabels() {
        String seq = MINIMAL.formatted("").replace("LlamaForCausalLM", "LlamaForSequenceClassification");
        ClassificationHead two = parse(seq).classification();
        assertThat(two.numLabels()).isEqualTo(2);
        assertThat(two.id2label()).containsEntry(0, "LABEL_0").containsEntry(1, "LABEL_1");
        assertThat(two.label2id()).containsEntry("LABEL_1", 1);
        ClassificationHead five = parse(seq.replace("\"vocab_size\": 100", "\"vocab_size\": 100, \"num_labels\": 5")).classification();
        assertThat(five.numLabels()).isEqualTo(5);
        ClassificationHead named = parse(seq.replace("\"vocab_size\": 100",
                "\"vocab_size\": 100, \"num_labels\": 7, \"id2label\": {\"0\": \"neg\", \"1\": \"pos\"}, \"problem_type\": \"single_label_classification\""))
                .classification();
        assertThat(named.numLabels()).isEqualTo(2);
        assertThat(named.label2id()).containsEntry("neg", 0).containsEntry("pos", 1);
        assertThat(named.problemType()).isEqualTo("single_label_classification");
        assertThatThrownBy(() -> parse(seq.replace("\"vocab_size\": 100", "\"vocab_size\": 100, \"id2label\": {\"a\": \"x\"}")))
                .hasMessage("\"id2label\" has key \"a\" that is not an integer (m/config.json: id2label)");
        assertThatThrownBy(() -> parse(seq.replace("\"vocab_size\": 100", "\"vocab_size\": 100, \"problem_type\": \"ranking\"")))
                .hasMessage("\"problem_type\" must be regression, single_label_classification or multi_label_classification, got \"ranking\" "
                        + "(m/config.json: problem_type)");
    }

    /** Only the head needs pad_token_id, and only for batches: parsing succeeds, asking fails clearly. */
    @Test
    void padTokenIsRequiredOnlyWhenAsked() {
        ModelConfig c = parse(MINIMAL.formatted("").replace("LlamaForCausalLM", "LlamaForSequenceClassification"));
        assertThat(c.tokenIds().pad()).isNull();
        assertThatThrownBy(c::requirePadTokenId)
                .isInstanceOf(BadInputException.class)
                .hasMessage("missing required field \"pad_token_id\": LlamaForSequenceClassification needs it to find the last token "
                        + "of each padded row (m/config.json)");
    }

    @Test
    void malformedFiles(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"hidden_size\": 64,\n \"vocab_size\": }");
        assertThatThrownBy(() -> ModelConfig.load(dir))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("not valid JSON: ")
                .hasMessageContaining("at line 2, column")
                .hasMessageEndingWith("(" + f + ")")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        Files.writeString(f, "[1, 2]");
        assertThatThrownBy(() -> ModelConfig.load(f)).hasMessage("expected a JSON object at the top level, found list (" + f + ")");
        Files.writeString(f, "");
        assertThatThrownBy(() -> ModelConfig.load(f)).hasMessage("empty JSON document (" + f + ")");
    }

    @Test
    void badGenerationConfig(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), MINIMAL.formatted(""));
        Path g = dir.resolve("generation_config.json");
        Files.writeString(g, "{\"do_sample\": true, \"temperature\": 0}");
        ModelConfig c = ModelConfig.load(dir);
        assertThatThrownBy(() -> GenerationConfig.load(dir, c))
                .hasMessage("\"temperature\" must be positive when do_sample is true, got 0.0 (" + g + ": temperature)");
        Files.writeString(g, "{\"max_new_tokens\": 64, \"eos_token_id\": null, \"temperature\": 0}");
        GenerationConfig greedy = GenerationConfig.load(dir, c);
        assertThat(greedy.maxNewTokens()).isEqualTo(64);
        assertThat(greedy.newTokenBudget(1000)).isEqualTo(64);
        assertThat(greedy.tokenIds().eos()).isEmpty();
        assertThat(greedy.tokenIds().bos()).isEqualTo(1);
    }
}
