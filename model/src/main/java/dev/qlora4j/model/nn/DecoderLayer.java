package dev.qlora4j.model.nn;

import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.tensor.Attention;
import dev.qlora4j.tensor.GatedActivation;
import dev.qlora4j.tensor.RmsNorm;
import dev.qlora4j.tensor.Rope;
import dev.qlora4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One decoder block: pre-norm self-attention (GQA, RoPE, optional sliding window and logit
 * soft-capping) and a gated MLP, each added to the residual stream. Gemma-2's "sandwich" layout
 * also normalises each block's output before the residual add.
 *
 * <pre>
 * Llama / Qwen2:  h += attn(norm₁(h));                     h += mlp(norm₂(h))
 * Gemma-2:        h += norm_post_attn(attn(norm₁(h)));      h += norm_post_ffn(mlp(norm_pre_ffn(h)))
 * </pre>
 */
public final class DecoderLayer {
    /** HF module names of the projections, relative to {@code model.layers.N.}, in checkpoint order. */
    public static final List<String> PROJECTIONS = List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

    /** What every layer of one forward step shares. */
    /** @param packed [B, T] position ids of packed rows (attention stays inside each sequence), or null */
    record Step(Rope.Table rope, Tensor positions, Tensor keyPadding, KvCache cache, Tensor packed) {}

    private final int index;
    private final ModelConfig config;
    private final Tensor inputNorm, postAttentionNorm, preFeedforwardNorm, postFeedforwardNorm;
    private final Map<String, Linear> projections;

    DecoderLayer(int index, ModelConfig config, Map<String, Linear> projections, Tensor inputNorm, Tensor postAttentionNorm,
                 Tensor preFeedforwardNorm, Tensor postFeedforwardNorm) {
        this.index = index;
        this.config = config;
        this.projections = new LinkedHashMap<>(projections);
        this.inputNorm = inputNorm;
        this.postAttentionNorm = postAttentionNorm;
        this.preFeedforwardNorm = preFeedforwardNorm;
        this.postFeedforwardNorm = postFeedforwardNorm;
    }

    public int index() {
        return index;
    }

    /**
     * The norm weights: input, post-attention, and (Gemma-2's sandwich) pre- and post-feedforward
     * (null for other families). Llama/Qwen2 use the post-attention norm before the MLP.
     */
    public record Norms(Tensor input, Tensor postAttention, Tensor preFeedforward, Tensor postFeedforward) {}

    public Norms norms() {
        return new Norms(inputNorm, postAttentionNorm, preFeedforwardNorm, postFeedforwardNorm);
    }

    /** The projections by HF name ({@link #PROJECTIONS}). */
    public Map<String, Linear> projections() {
        return Collections.unmodifiableMap(projections);
    }

    /** Puts {@code replacement} (a LoRA or quantized module) where the projection {@code name} was. */
    public void replace(String name, Linear replacement) {
        Linear old = projections.get(name);
        if (old == null) throw new IllegalArgumentException("no projection " + name + " in layer " + index);
        if (old.inFeatures() != replacement.inFeatures() || old.outFeatures() != replacement.outFeatures())
            throw new IllegalArgumentException("replacement for " + name + " maps " + replacement.inFeatures() + " → "
                    + replacement.outFeatures() + ", the layer needs " + old.inFeatures() + " → " + old.outFeatures());
        projections.put(name, replacement);
    }

    /** Norm weights first, then every projection's trainable tensors. */
    List<Tensor> trainableParameters() {
        List<Tensor> params = new ArrayList<>();
        for (Tensor t : new Tensor[]{inputNorm, postAttentionNorm, preFeedforwardNorm, postFeedforwardNorm})
            if (t != null && t.requiresGrad()) params.add(t);
        for (Linear l : projections.values()) params.addAll(l.trainableParameters());
        return params;
    }

    // h [B, T, C] → [B, T, C]
    Tensor forward(Tensor h, Step step) {
        Tensor attn = attention(norm(h, inputNorm), step);
        if (config.sandwichNorms()) attn = norm(attn, postAttentionNorm);
        h = h.add(attn);
        Tensor mlp = mlp(norm(h, config.sandwichNorms() ? preFeedforwardNorm : postAttentionNorm));
        if (config.sandwichNorms()) mlp = norm(mlp, postFeedforwardNorm);
        return h.add(mlp);
    }

    private Tensor norm(Tensor x, Tensor weight) {
        return RmsNorm.apply(x, weight, (float) config.rmsNormEps(), config.normAddsOne());
    }

    // x [B, T, C] → [B, T, C]
    private Tensor attention(Tensor x, Step step) {
        int b = x.size(0), t = x.size(1), d = config.headDim();
        int hq = config.attention().numHeads(), hkv = config.attention().numKeyValueHeads();
        // [B, T, H·D] → [B, H, T, D]
        Tensor q = projections.get("self_attn.q_proj").forward(x).view(b, t, hq, d).transpose(1, 2);
        Tensor k = projections.get("self_attn.k_proj").forward(x).view(b, t, hkv, d).transpose(1, 2);
        Tensor v = projections.get("self_attn.v_proj").forward(x).view(b, t, hkv, d).transpose(1, 2);
        q = Rope.apply(q, step.rope(), step.positions());
        k = Rope.apply(k, step.rope(), step.positions());
        if (step.cache() != null) {
            Tensor[] kv = step.cache().append(index, k, v);
            k = kv[0];
            v = kv[1];
        }
        Integer window = config.attention().windowOf(index);
        Double cap = config.attention().logitSoftcapping();
        Attention.Options options = new Attention.Options((float) config.attention().scaling(), true,
                window == null ? 0 : window, cap == null ? 0f : cap.floatValue(), step.keyPadding(), -1, step.packed());
        Tensor out = Attention.sdpa(q, k, v, options);          // [B, Hq, T, D]
        return projections.get("self_attn.o_proj").forward(out.transpose(1, 2).reshape(b, t, hq * d));
    }

    // x [B, T, C] → [B, T, C]
    private Tensor mlp(Tensor x) {
        Tensor gate = projections.get("mlp.gate_proj").forward(x), up = projections.get("mlp.up_proj").forward(x);
        GatedActivation.Kind kind = switch (config.activation()) {
            case SILU -> GatedActivation.Kind.SILU;
            case GELU_TANH -> GatedActivation.Kind.GELU_TANH;
            case GELU -> GatedActivation.Kind.GELU;
        };
        return projections.get("mlp.down_proj").forward(GatedActivation.apply(kind, gate, up));
    }
}
