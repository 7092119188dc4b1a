package dev.qlora4j.train.demo.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bundled base model's folder: a Llama config of the given shape, generation_config.json,
 * randomly initialised weights (as transformers initialises a Llama: normal(0, 0.02) matrices,
 * norms of ones), and the weights of a trained model written back under their HF names.
 */
final class BaseModelFolder {
    /** hidden 192, 4 layers, 6 heads of 32 over 2 key/value heads, SwiGLU 512, tied embeddings. */
    record Shape(int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab) {
        int headDim() {
            return hidden / heads;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private BaseModelFolder() {}

    static void writeConfigs(Path dir, Shape s, int bos, int eos, int endOfText, int pad) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        c.put("bos_token_id", bos);
        c.put("dtype", "bfloat16");
        c.put("eos_token_id", eos);
        c.put("head_dim", s.headDim());
        c.put("hidden_act", "silu");
        c.put("hidden_size", s.hidden());
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", s.intermediate());
        c.put("max_position_embeddings", 1024);
        c.put("mlp_bias", false);
        c.put("model_type", "llama");
        c.put("num_attention_heads", s.heads());
        c.put("num_hidden_layers", s.layers());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("pad_token_id", pad);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", true);
        c.put("use_cache", true);
        c.put("vocab_size", s.vocab());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("bos_token_id", bos);
        g.put("eos_token_id", List.of(eos, endOfText));
        g.put("pad_token_id", pad);
        g.put("do_sample", false);
        Files.writeString(dir.resolve("generation_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(g) + "\n");
    }

    static void writeInitialWeights(Path dir, Shape s, Generator gen) throws IOException {
        Map<String, Tensor> w = new LinkedHashMap<>();
        int q = s.heads() * s.headDim(), kv = s.kvHeads() * s.headDim();
        w.put("model.embed_tokens.weight", Tensor.randn(gen, 0.02f, s.vocab(), s.hidden()));
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            w.put(p + "input_layernorm.weight", Tensor.ones(s.hidden()));
            w.put(p + "post_attention_layernorm.weight", Tensor.ones(s.hidden()));
            w.put(p + "self_attn.q_proj.weight", Tensor.randn(gen, 0.02f, q, s.hidden()));
            w.put(p + "self_attn.k_proj.weight", Tensor.randn(gen, 0.02f, kv, s.hidden()));
            w.put(p + "self_attn.v_proj.weight", Tensor.randn(gen, 0.02f, kv, s.hidden()));
            w.put(p + "self_attn.o_proj.weight", Tensor.randn(gen, 0.02f, s.hidden(), q));
            w.put(p + "mlp.gate_proj.weight", Tensor.randn(gen, 0.02f, s.intermediate(), s.hidden()));
            w.put(p + "mlp.up_proj.weight", Tensor.randn(gen, 0.02f, s.intermediate(), s.hidden()));
            w.put(p + "mlp.down_proj.weight", Tensor.randn(gen, 0.02f, s.hidden(), s.intermediate()));
        }
        w.put("model.norm.weight", Tensor.ones(s.hidden()));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
    }

    /** HF names of {@link Transformer#trainableParameters()} of a Llama with tied embeddings, in that order. */
    static List<String> parameterNames(int layers) {
        List<String> names = new ArrayList<>();
        names.add("model.embed_tokens.weight");
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            names.add(p + "input_layernorm.weight");
            names.add(p + "post_attention_layernorm.weight");
            for (String proj : DecoderLayer.PROJECTIONS) names.add(p + proj + ".weight");
        }
        names.add("model.norm.weight");
        return names;
    }

    /** Writes a fully trained model's weights as bf16 (what the bundled folder ships). */
    static void writeTrainedWeights(Path dir, Transformer model) throws IOException {
        List<Tensor> params = model.trainableParameters();
        List<String> names = parameterNames(model.config().numHiddenLayers());
        if (params.size() != names.size())
            throw new IllegalStateException(params.size() + " trainable tensors, expected " + names.size());
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) w.put(names.get(i), params.get(i).detach().to(DType.BF16));
        Path tmp = dir.resolve("model.trained.safetensors");
        SafetensorsWriter.write(tmp, w, Map.of("format", "pt"));
        Files.move(tmp, dir.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
