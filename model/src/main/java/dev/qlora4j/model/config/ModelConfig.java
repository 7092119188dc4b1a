package dev.qlora4j.model.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's config.json, read for one of the supported families (Llama, Qwen2, Gemma-2) and
 * tasks (causal LM, sequence classification), with transformers' defaults filled in.
 *
 * @param file                  the config.json read
 * @param family                from model_type
 * @param architecture          the first entry of architectures, e.g. "LlamaForCausalLM"
 * @param task                  from the architecture's suffix
 * @param vocabSize             rows of embed_tokens (and lm_head)
 * @param hiddenSize            the residual stream width
 * @param intermediateSize      the MLP width
 * @param numHiddenLayers       decoder layers
 * @param maxPositionEmbeddings positions the rotary table covers
 * @param rmsNormEps            epsilon of every RMSNorm
 * @param tieWordEmbeddings     lm_head shares embed_tokens' weight (and is absent from the checkpoint)
 * @param mlpBias               gate/up/down projections have a bias (Llama's mlp_bias)
 * @param activation            the MLP activation (silu for Llama and Qwen2, gelu_pytorch_tanh for Gemma-2)
 * @param attention             heads, biases, window, soft-capping
 * @param rope                  rotary embedding settings
 * @param finalLogitSoftcapping Gemma-2 causal LM: logits become cap·tanh(logits/cap); null = none
 * @param tokenIds              bos / eos / pad ids of config.json
 * @param dtype                 the dtype the weights were saved in (dtype / torch_dtype), or null when not stated
 * @param classification        the score head for sequence classification, null for causal LM
 */
public record ModelConfig(Path file, ModelFamily family, String architecture, Task task, int vocabSize, int hiddenSize,
                          int intermediateSize, int numHiddenLayers, int maxPositionEmbeddings, double rmsNormEps,
                          boolean tieWordEmbeddings, boolean mlpBias, Activation activation, AttentionConfig attention,
                          RopeConfig rope, Double finalLogitSoftcapping, SpecialTokenIds tokenIds, DType dtype,
                          ClassificationHead classification) {

    /** Reads {@code path}: a model folder (its config.json) or a config.json file. */
    public static ModelConfig load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.exists(file))
            throw BadInputException.at(file.toString(), Files.isDirectory(path) ? "no config.json in the model folder" : "file not found");
        return parse(JsonFiles.readObject(file), file);
    }

    /** Interprets an already parsed config.json; {@code file} names it in errors. */
    public static ModelConfig parse(ObjectNode root, Path file) {
        return ConfigParser.parse(root, file);
    }

    public String modelType() {
        return family.modelType();
    }

    public int headDim() {
        return attention.headDim();
    }

    /** RMSNorm scales by (1 + weight) (Gemma-2). */
    public boolean normAddsOne() {
        return family.normAddsOne();
    }

    /** Embeddings are multiplied by sqrt(hidden_size) (Gemma-2). */
    public boolean scalesEmbeddings() {
        return family.scalesEmbeddings();
    }

    /** Layers carry extra post-attention and pre/post-feed-forward norms (Gemma-2). */
    public boolean sandwichNorms() {
        return family.sandwichNorms();
    }

    /** inv_freq of the rotary embedding for this model's head_dim. */
    public float[] ropeInverseFrequencies() {
        return rope.inverseFrequencies(attention.headDim());
    }

    /**
     * pad_token_id for the sequence-classification head, which reads each row's last non-pad token.
     * transformers only needs it for batches of more than one row, so the model asks only then.
     */
    public int requirePadTokenId() {
        if (tokenIds.pad() == null)
            throw BadInputException.at(file.toString(), "missing required field \"pad_token_id\": " + architecture
                    + " needs it to find the last token of each padded row");
        return tokenIds.pad();
    }

    /** The facts `inspect` prints, in a stable order; values are strings, numbers, booleans or lists. */
    public Map<String, Object> toSummary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", modelType());
        m.put("architecture", architecture);
        m.put("task", task.label());
        m.put("layers", numHiddenLayers);
        m.put("hidden", hiddenSize);
        m.put("intermediate", intermediateSize);
        m.put("heads", attention.numHeads());
        m.put("kv_heads", attention.numKeyValueHeads());
        m.put("head_dim", attention.headDim());
        m.put("vocab", vocabSize);
        m.put("max_positions", maxPositionEmbeddings);
        m.put("rope", rope.summary());
        m.put("dtype", dtype == null ? null : DTypeNames.toTorch(dtype));
        m.put("activation", activation.hfName());
        m.put("tie_word_embeddings", tieWordEmbeddings);
        if (attention.slidingWindow() != null) {
            m.put("sliding_window", attention.slidingWindow());
            List<Integer> sliding = new ArrayList<>();
            for (int i = 0; i < numHiddenLayers; i++) if (attention.windowOf(i) != null) sliding.add(i);
            m.put("sliding_layers", sliding);
        }
        if (attention.logitSoftcapping() != null) m.put("attn_logit_softcapping", attention.logitSoftcapping());
        if (finalLogitSoftcapping != null) m.put("final_logit_softcapping", finalLogitSoftcapping);
        if (attention.queryPreAttnScalar() != null) m.put("query_pre_attn_scalar", attention.queryPreAttnScalar());
        if (classification != null) {
            m.put("num_labels", classification.numLabels());
            m.put("labels", new ArrayList<>(classification.id2label().values()));
        }
        return m;
    }
}
