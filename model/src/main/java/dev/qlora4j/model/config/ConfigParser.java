package dev.qlora4j.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.json.JsonFields;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns config.json into a {@link ModelConfig}. Absent fields take the defaults of the family's
 * transformers config class (LlamaConfig, Qwen2Config, Gemma2Config), so an older file that omits
 * a field means what it means to transformers. The fields that fix the weight shapes are required.
 */
final class ConfigParser {
    private ConfigParser() {}

    /** Per-family defaults of the transformers config classes, for fields config.json may omit. */
    private record Defaults(Integer kvHeadsWhenAbsent, Integer headDim, int maxPositions, double rmsNormEps,
                            boolean tieWordEmbeddings, String activationKey, String activation,
                            Integer bos, Integer eos, Integer pad) {
    }

    private static Defaults defaults(ModelFamily family) {
        return switch (family) {
            // LlamaConfig: num_key_value_heads=None (→ heads), head_dim=None (→ hidden/heads)
            case LLAMA -> new Defaults(null, null, 2048, 1e-6, false, "hidden_act", "silu", 1, 2, null);
            // Qwen2Config: num_key_value_heads=32 when absent (None → heads)
            case QWEN2 -> new Defaults(32, null, 32768, 1e-6, false, "hidden_act", "silu", null, null, null);
            // Gemma2Config reads hidden_activation; older files also carry hidden_act, which it ignores
            case GEMMA2 -> new Defaults(4, 256, 8192, 1e-6, true, "hidden_activation", "gelu_pytorch_tanh", 2, 1, 0);
        };
    }

    static ModelConfig parse(ObjectNode root, Path file) {
        JsonFields c = new JsonFields(root, file.toString());
        ArchitectureChoice arch = architecture(c);
        ModelFamily family = arch.family();
        Defaults d = defaults(family);

        int vocab = c.requirePositiveInt("vocab_size");
        int hidden = c.requirePositiveInt("hidden_size");
        int intermediate = c.requirePositiveInt("intermediate_size");
        int layers = c.requirePositiveInt("num_hidden_layers");
        int maxPositions = c.positiveIntOr("max_position_embeddings", d.maxPositions());
        double eps = c.doubleOr("rms_norm_eps", d.rmsNormEps());
        if (!(eps > 0)) throw c.invalid("rms_norm_eps", "must be positive, got " + eps);

        List<LayerType> layerTypes = layerTypes(c, family, layers);
        AttentionConfig attention = attention(c, family, d, hidden, layerTypes);
        RopeConfig rope = RopeParser.parse(c, 10_000.0, maxPositions, family == ModelFamily.LLAMA ? null : layerTypes);
        if (rope.rotaryDim(attention.headDim()) < 2)
            throw c.invalid("rope_parameters", "leaves fewer than 2 rotary channels of head_dim " + attention.headDim());

        String actName = c.stringOr(d.activationKey(), d.activation());
        Activation act = Activation.fromHfName(actName);
        if (act == null)
            throw BadInputException.at(c.where(d.activationKey()) + "; supported: " + Activation.supported(),
                    "unsupported activation \"" + actName + "\"");

        Double finalSoftcap = family == ModelFamily.GEMMA2 ? positiveOrNull(c, c.nullableDouble("final_logit_softcapping", 30.0), "final_logit_softcapping") : null;
        boolean mlpBias = family == ModelFamily.LLAMA && c.boolOr("mlp_bias", false);
        ClassificationHead head = arch.task() == Task.SEQUENCE_CLASSIFICATION ? classification(c) : null;

        return new ModelConfig(file, family, arch.name(), arch.task(), vocab, hidden, intermediate, layers, maxPositions,
                eps, c.boolOr("tie_word_embeddings", d.tieWordEmbeddings()), mlpBias, act, attention, rope,
                finalSoftcap, tokenIds(c, d), dtype(c), head);
    }

    private record ArchitectureChoice(String name, ModelFamily family, Task task) {
    }

    /**
     * The family comes from model_type, as transformers' AutoConfig picks the config class; the task
     * from the first entry of architectures. When both are present they must agree.
     */
    private static ArchitectureChoice architecture(JsonFields c) {
        String modelType = c.optString("model_type");
        ModelFamily byType = null;
        if (modelType != null) {
            byType = ModelFamily.fromModelType(modelType);
            if (byType == null)
                throw BadInputException.at(c.where("model_type") + "; supported: " + ModelFamily.supportedModelTypes(),
                        "unsupported model_type \"" + modelType + "\"");
        }
        List<String> archs = c.optStringList("architectures");
        if (archs == null || archs.isEmpty()) {
            if (byType == null) throw c.missing("architectures");
            // no architectures: transformers' AutoModelForCausalLM goes by model_type alone
            return new ArchitectureChoice(byType.architecturePrefix() + Task.CAUSAL_LM.architectureSuffix(), byType, Task.CAUSAL_LM);
        }
        String name = archs.getFirst();
        for (ModelFamily f : ModelFamily.values())
            for (Task t : Task.values())
                if (name.equals(f.architecturePrefix() + t.architectureSuffix())) {
                    if (byType != null && byType != f)
                        throw BadInputException.at(c.where("architectures"),
                                "architecture \"" + name + "\" does not match model_type \"" + modelType + "\"");
                    return new ArchitectureChoice(name, f, t);
                }
        throw BadInputException.at(c.where("architectures") + "; supported: " + supportedArchitectures(),
                "unsupported architecture \"" + name + "\"");
    }

    static String supportedArchitectures() {
        StringBuilder sb = new StringBuilder();
        for (ModelFamily f : ModelFamily.values())
            for (Task t : Task.values())
                sb.append(sb.isEmpty() ? "" : ", ").append(f.architecturePrefix()).append(t.architectureSuffix());
        return sb.toString();
    }

    private static AttentionConfig attention(JsonFields c, ModelFamily family, Defaults d, int hidden, List<LayerType> layerTypes) {
        int heads = c.requirePositiveInt("num_attention_heads");
        int kvHeads;
        if (!c.hasKey("num_key_value_heads")) kvHeads = d.kvHeadsWhenAbsent() != null ? d.kvHeadsWhenAbsent() : heads;
        else kvHeads = c.has("num_key_value_heads") ? c.requirePositiveInt("num_key_value_heads") : heads;
        if (kvHeads > heads || heads % kvHeads != 0)
            throw c.invalid("num_key_value_heads", "(" + kvHeads + ") must divide num_attention_heads (" + heads + ")");

        int headDim;
        if (c.has("head_dim")) headDim = c.requirePositiveInt("head_dim");
        else if (d.headDim() != null) headDim = d.headDim();
        else {
            if (hidden % heads != 0)
                throw c.invalid("num_attention_heads", "(" + heads + ") must divide hidden_size (" + hidden + ") when head_dim is absent");
            headDim = hidden / heads;
        }

        boolean bias = c.boolOr("attention_bias", false);
        return switch (family) {
            case LLAMA -> new AttentionConfig(heads, kvHeads, headDim, bias, bias, null, null, null, false, null, layerTypes);
            case QWEN2 -> {
                boolean use = c.boolOr("use_sliding_window", false);
                Integer window = positiveOrNullInt(c, c.nullableInt("sliding_window", 4096), "sliding_window");
                int maxWindowLayers = c.intOr("max_window_layers", 28);
                // Qwen2 q/k/v projections always carry a bias, o_proj never does
                yield new AttentionConfig(heads, kvHeads, headDim, true, false, null, null, use ? window : null,
                        use, maxWindowLayers, layerTypes);
            }
            case GEMMA2 -> {
                double scalar = c.doubleOr("query_pre_attn_scalar", 256);
                if (!(scalar > 0)) throw c.invalid("query_pre_attn_scalar", "must be positive, got " + scalar);
                Double softcap = positiveOrNull(c, c.nullableDouble("attn_logit_softcapping", 50.0), "attn_logit_softcapping");
                Integer window = positiveOrNullInt(c, c.nullableInt("sliding_window", 4096), "sliding_window");
                yield new AttentionConfig(heads, kvHeads, headDim, bias, bias, scalar, softcap, window, window != null,
                        null, layerTypes);
            }
        };
    }

    /**
     * layer_types as written, else what the config class derives: Gemma-2 alternates sliding and
     * full starting with sliding; Qwen2 slides from max_window_layers on when sliding is enabled.
     */
    private static List<LayerType> layerTypes(JsonFields c, ModelFamily family, int layers) {
        List<LayerType> out = new ArrayList<>(layers);
        if (family != ModelFamily.LLAMA && c.has("layer_types")) {
            List<String> names = c.optStringList("layer_types");
            if (names.size() != layers)
                throw c.invalid("layer_types", "has " + names.size() + " entries for " + layers + " layers (num_hidden_layers)");
            for (String n : names) {
                LayerType t = LayerType.fromHfName(n);
                if (t == null)
                    throw c.invalid("layer_types", "has unknown entry \"" + n + "\" (expected full_attention or sliding_attention)");
                out.add(t);
            }
            return out;
        }
        for (int i = 0; i < layers; i++) {
            boolean sliding = switch (family) {
                case LLAMA -> false;
                case GEMMA2 -> (i + 1) % 2 != 0;
                case QWEN2 -> c.boolOr("use_sliding_window", false) && c.nullableInt("sliding_window", 4096) != null
                        && i >= c.intOr("max_window_layers", 28);
            };
            out.add(sliding ? LayerType.SLIDING_ATTENTION : LayerType.FULL_ATTENTION);
        }
        return out;
    }

    private static Double positiveOrNull(JsonFields c, Double v, String key) {
        if (v != null && !(v > 0)) throw c.invalid(key, "must be positive or null, got " + v);
        return v;
    }

    private static Integer positiveOrNullInt(JsonFields c, Integer v, String key) {
        if (v != null && v <= 0) throw c.invalid(key, "must be positive or null, got " + v);
        return v;
    }

    private static SpecialTokenIds tokenIds(JsonFields c, Defaults d) {
        List<Integer> eos;
        if (!c.hasKey("eos_token_id")) eos = d.eos() == null ? List.of() : List.of(d.eos());
        else eos = c.intOrIntList("eos_token_id");
        return new SpecialTokenIds(c.nullableInt("bos_token_id", d.bos()), eos, c.nullableInt("pad_token_id", d.pad()));
    }

    /** transformers 5 writes "dtype", older versions "torch_dtype". */
    private static DType dtype(JsonFields c) {
        String key = c.has("dtype") ? "dtype" : "torch_dtype";
        String name = c.optString(key);
        // "auto" (rare, hand-written files) states no dtype
        if (name == null || name.equals("auto")) return null;
        DType t = DTypeNames.fromTorch(name);
        if (t == null)
            throw BadInputException.at(c.where(key) + "; supported: " + DTypeNames.SUPPORTED, "unsupported dtype \"" + name + "\"");
        return t;
    }

    private static ClassificationHead classification(JsonFields c) {
        SortedMap<Integer, String> id2label = new TreeMap<>();
        JsonFields ids = c.optObject("id2label");
        if (ids != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = ids.node().fields(); it.hasNext(); ) {
                var e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey().trim());
                } catch (NumberFormatException ex) {
                    throw c.invalid("id2label", "has key \"" + e.getKey() + "\" that is not an integer");
                }
                if (id < 0) throw c.invalid("id2label", "has negative label id " + id);
                id2label.put(id, e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
            }
        }
        int numLabels;
        if (!id2label.isEmpty()) {
            // transformers keeps id2label when num_labels disagrees (it only warns)
            numLabels = id2label.size();
            if (id2label.lastKey() != numLabels - 1)
                throw c.invalid("id2label", "must number labels 0.." + (numLabels - 1) + ", got ids " + id2label.keySet());
        } else {
            numLabels = c.positiveIntOr("num_labels", 2);
            for (int i = 0; i < numLabels; i++) id2label.put(i, "LABEL_" + i);
        }
        Map<String, Integer> label2id = new LinkedHashMap<>();
        JsonFields names = c.optObject("label2id");
        if (names != null) {
            for (Iterator<String> it = names.node().fieldNames(); it.hasNext(); ) {
                String label = it.next();
                label2id.put(label, names.requireInt(label));
            }
        } else {
            id2label.forEach((id, label) -> label2id.put(label, id));
        }
        String problem = c.optString("problem_type");
        if (problem != null && !List.of("regression", "single_label_classification", "multi_label_classification").contains(problem))
            throw c.invalid("problem_type", "must be regression, single_label_classification or multi_label_classification, got \"" + problem + "\"");
        return new ClassificationHead(numLabels, Collections.unmodifiableSortedMap(id2label),
                Collections.unmodifiableMap(label2id), problem);
    }
}
