package dev.qlora4j.model.quant;

import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** config.json's quantization_config with BitsAndBytesConfig's names and defaults, and the skip rule. */
class QuantizationConfigTest {
    private static QuantizationConfig parse(String q) {
        String json = "{\"model_type\": \"llama\"" + (q == null ? "" : ", \"quantization_config\": " + q) + "}";
        return QuantizationConfig.fromConfig(JsonFiles.readObjectFromString(json, "m/config.json"), Path.of("m/config.json"));
    }

    @Test
    void absentOrNullMeansNoQuantization() {
        assertThat(parse(null)).isNull();
        assertThat(parse("null")).isNull();
    }

    @Test
    void readsTheBitsAndBytesNames() {
        QuantizationConfig q = parse("{\"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"nf4\", \"bnb_4bit_use_double_quant\": true,"
                + " \"bnb_4bit_compute_dtype\": \"bfloat16\", \"bnb_4bit_quant_storage\": \"bfloat16\", \"llm_int8_skip_modules\": [\"lm_head\", \"mlp.down_proj\"]}");
        assertThat(q.doubleQuant()).isTrue();
        assertThat(q.computeDtype()).isEqualTo(DType.BF16);
        assertThat(q.quantStorage()).isEqualTo("bfloat16");
        assertThat(q.skipModules()).containsExactly("lm_head", "mlp.down_proj");
        assertThat(q.blocksize()).isEqualTo(64);
        // the private names transformers' to_dict also writes
        QuantizationConfig d = parse("{\"_load_in_4bit\": true, \"bnb_4bit_quant_type\": \"nf4\"}");
        assertThat(d.doubleQuant()).isFalse();
        assertThat(d.computeDtype()).isEqualTo(DType.F32);
        assertThat(d.quantStorage()).isEqualTo("uint8");
    }

    @Test
    void refusesWhatIsNotFourBitNf4() {
        assertThatThrownBy(() -> parse("{\"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"fp4\"}")).isInstanceOf(BadInputException.class)
                .hasMessage("\"quantization_config.bnb_4bit_quant_type\" is \"fp4\": only nf4 is supported (FP4 is not) (m/config.json: quantization_config.bnb_4bit_quant_type)");
        // BitsAndBytesConfig's default quant type is fp4
        assertThatThrownBy(() -> parse("{\"load_in_4bit\": true}")).hasMessageContaining("is \"fp4\": only nf4 is supported");
        assertThatThrownBy(() -> parse("{\"load_in_8bit\": true}")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("8-bit (LLM.int8) checkpoints are not supported");
        assertThatThrownBy(() -> parse("{\"quant_method\": \"gptq\", \"bits\": 4}")).isInstanceOf(BadInputException.class)
                .hasMessage("unsupported quantization method \"gptq\" (m/config.json: quantization_config.quant_method; supported: bitsandbytes (4-bit NF4))");
        assertThatThrownBy(() -> parse("{\"bnb_4bit_quant_type\": \"nf4\"}")).hasMessageContaining("load_in_4bit\" must be true");
        assertThatThrownBy(() -> parse("{\"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"nf4\", \"bnb_4bit_compute_dtype\": \"int8\"}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("bnb_4bit_compute_dtype");
        assertThatThrownBy(() -> parse("{\"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"nf4\", \"llm_int8_skip_modules\": [\"(\"]}"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("is not a valid regular expression");
        assertThatThrownBy(() -> parse("{\"load_in_4bit\": \"yes\", \"bnb_4bit_quant_type\": \"nf4\"}"))
                .isInstanceOf(BadInputException.class).hasMessageNotContaining("\n");
    }

    @Test
    void skipsLikeTransformersShouldConvertModule() {
        QuantizationConfig d = QuantizationConfig.nf4(true);
        assertThat(d.quantizes("model.layers.0.self_attn.q_proj")).isTrue();
        assertThat(d.quantizes("lm_head")).isFalse();
        assertThat(d.quantizes("score")).isFalse();
        QuantizationConfig c = d.withSkipModules(List.of("down_proj", "model.layers.1."));
        assertThat(c.quantizes("model.layers.0.mlp.down_proj")).isFalse();            // ends with the entry
        assertThat(c.quantizes("model.layers.1.self_attn.q_proj")).isFalse();         // a regex matching from the start
        // a regex, as re.match reads it: the dots match any character, so layer 10 is caught too
        assertThat(c.quantizes("model.layers.10.self_attn.q_proj")).isFalse();
        assertThat(c.quantizes("model.layers.2.self_attn.q_proj")).isTrue();
        assertThat(c.quantizes("lm_head")).isTrue();                                   // an explicit list replaces the default
    }

    @Test
    void writesWhatTransformersWrites() {
        var m = QuantizationConfig.nf4(true).withComputeDtype(DType.BF16).toTransformersDict();
        assertThat(m.keySet()).containsExactly("_load_in_4bit", "_load_in_8bit", "bnb_4bit_compute_dtype", "bnb_4bit_quant_storage",
                "bnb_4bit_quant_type", "bnb_4bit_use_double_quant", "llm_int8_enable_fp32_cpu_offload", "llm_int8_has_fp16_weight",
                "llm_int8_skip_modules", "llm_int8_threshold", "load_in_4bit", "load_in_8bit", "quant_method");
        assertThat(m.get("bnb_4bit_compute_dtype")).isEqualTo("bfloat16");
        assertThat(m.get("llm_int8_threshold")).isEqualTo(6.0);
        assertThatThrownBy(() -> QuantizationConfig.nf4(false).withBlocksize(100)).isInstanceOf(IllegalArgumentException.class);
    }
}
