package dev.qlora4j.model.config;

import java.util.List;

/**
 * Self-attention settings of a decoder.
 *
 * @param numHeads              query heads (num_attention_heads)
 * @param numKeyValueHeads      key/value heads; numHeads / numKeyValueHeads query heads share each (GQA)
 * @param headDim               channels per head (explicit head_dim, else hidden_size / heads; Gemma-2 defaults to 256)
 * @param qkvBias               q_proj, k_proj and v_proj have a bias
 * @param outputBias            o_proj has a bias
 * @param queryPreAttnScalar    Gemma-2: scores are scaled by query_pre_attn_scalar^-0.5 instead of head_dim^-0.5; null otherwise
 * @param logitSoftcapping      Gemma-2: scores become cap·tanh(scores/cap) before masking; null = none
 * @param slidingWindow         sliding_window as the model uses it on layers of type sliding_attention
 *                              (Qwen2: null unless use_sliding_window); null = no sliding window anywhere
 * @param useSlidingWindow      Qwen2's use_sliding_window as read (false leaves slidingWindow null)
 * @param maxWindowLayers       Qwen2's max_window_layers as read (layers from this index on slide); null for other families
 * @param layerTypes            one entry per layer
 */
public record AttentionConfig(int numHeads, int numKeyValueHeads, int headDim, boolean qkvBias, boolean outputBias,
                              Double queryPreAttnScalar, Double logitSoftcapping, Integer slidingWindow,
                              boolean useSlidingWindow, Integer maxWindowLayers, List<LayerType> layerTypes) {

    public AttentionConfig {
        layerTypes = List.copyOf(layerTypes);
    }

    /** The factor attention scores are multiplied by before the softmax. */
    public double scaling() {
        return Math.pow(queryPreAttnScalar != null ? queryPreAttnScalar : headDim, -0.5);
    }

    /** The window of {@code layer}, or null when it attends to every earlier position. */
    public Integer windowOf(int layer) {
        return layerTypes.get(layer) == LayerType.SLIDING_ATTENTION ? slidingWindow : null;
    }

    /** Query heads per key/value head. */
    public int groupSize() {
        return numHeads / numKeyValueHeads;
    }
}
