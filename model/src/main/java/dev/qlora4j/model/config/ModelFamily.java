package dev.qlora4j.model.config;

/**
 * The model families we implement, named by config.json's {@code model_type}. The flags are the
 * architectural differences the model code branches on; they are fixed per family in transformers,
 * not configurable in config.json.
 */
public enum ModelFamily {
    /** Llama 2/3/3.x: RMSNorm w·x, SwiGLU, optional biases (attention_bias, mlp_bias). */
    LLAMA("llama", "Llama", false, false, false),
    /** Qwen2/2.5: Llama layout with a bias on q/k/v (never on o_proj), optional sliding window. */
    QWEN2("qwen2", "Qwen2", false, false, false),
    /**
     * Gemma-2: RMSNorm (1+w)·x, embeddings scaled by sqrt(hidden_size), norms before and after both
     * attention and feed-forward, GeGLU, soft-capped logits, alternating sliding/global attention.
     */
    GEMMA2("gemma2", "Gemma2", true, true, true);

    private final String modelType;
    private final String architecturePrefix;
    private final boolean normAddsOne;
    private final boolean scalesEmbeddings;
    private final boolean sandwichNorms;

    ModelFamily(String modelType, String architecturePrefix, boolean normAddsOne, boolean scalesEmbeddings,
                boolean sandwichNorms) {
        this.modelType = modelType;
        this.architecturePrefix = architecturePrefix;
        this.normAddsOne = normAddsOne;
        this.scalesEmbeddings = scalesEmbeddings;
        this.sandwichNorms = sandwichNorms;
    }

    /** config.json's {@code model_type}. */
    public String modelType() {
        return modelType;
    }

    /** The class-name prefix of the architectures, e.g. "Llama" in LlamaForCausalLM. */
    public String architecturePrefix() {
        return architecturePrefix;
    }

    /** RMSNorm multiplies by (1 + weight) instead of weight (Gemma's convention, weights stored as w). */
    public boolean normAddsOne() {
        return normAddsOne;
    }

    /** Token embeddings are multiplied by sqrt(hidden_size) (rounded to the activation dtype). */
    public boolean scalesEmbeddings() {
        return scalesEmbeddings;
    }

    /** Each layer also has post_attention / pre_feedforward / post_feedforward norms (Gemma-2). */
    public boolean sandwichNorms() {
        return sandwichNorms;
    }

    /** The family whose model_type is {@code modelType}, or null. */
    public static ModelFamily fromModelType(String modelType) {
        for (ModelFamily f : values()) if (f.modelType.equals(modelType)) return f;
        return null;
    }

    static String supportedModelTypes() {
        StringBuilder sb = new StringBuilder();
        for (ModelFamily f : values()) sb.append(sb.isEmpty() ? "" : ", ").append(f.modelType);
        return sb.toString();
    }
}
