package dev.qlora4j.model.nn;

import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.tensor.Autograd;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Checkpoint;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Embedding;
import dev.qlora4j.tensor.RmsNorm;
import dev.qlora4j.tensor.Rope;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A decoder-only model from a Hugging Face folder: Llama, Qwen2 or Gemma-2, with the causal-LM
 * head ({@code lm_head}, possibly tied to the embeddings) or the sequence-classification head
 * ({@code score}, read at each row's last non-pad token). Frozen weights are views of the
 * checkpoint's memory mapping, so the model keeps the checkpoint open until {@link #close}.
 * {@link #create} builds one of a config's shapes from weights supplied in memory instead.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig config;
    private final QuantizationConfig quantization;
    private final SafetensorsCheckpoint checkpoint;
    private final Tensor embed, finalNorm;
    private final List<DecoderLayer> layers;
    private Linear head;
    private Rope.Table rope;
    private boolean gradientCheckpointing;

    private Transformer(ModelConfig config, QuantizationConfig quantization, SafetensorsCheckpoint checkpoint, Tensor embed,
                        List<DecoderLayer> layers, Tensor finalNorm, Linear head) {
        this.config = config;
        this.quantization = quantization;
        this.checkpoint = checkpoint;
        this.embed = embed;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.head = head;
    }

    /** Loads config.json and the weights of a model folder, frozen (the base of LoRA training or inference). */
    public static Transformer load(Path dir) {
        return load(dir, false);
    }

    /**
     * @param trainable every weight becomes a trainable F32 copy (full-parameter training);
     *                  otherwise weights are frozen views of the checkpoint
     */
    public static Transformer load(Path dir, boolean trainable) {
        return load(dir, trainable, null);
    }

    /**
     * Loads a model whose projections may be 4-bit: those a transformers/bitsandbytes checkpoint
     * stores as NF4 (config.json's quantization_config is validated), and, with
     * {@code quantizeOnLoad}, the float projections it selects (every decoder projection; the head
     * only if its skip list says so), quantized exactly as bitsandbytes would. Embeddings, norms
     * and skipped modules keep their precision.
     *
     * @param quantizeOnLoad null to load float weights as they are
     */
    public static Transformer load(Path dir, boolean trainable, QuantizationConfig quantizeOnLoad) {
        if (trainable && quantizeOnLoad != null)
            throw new IllegalArgumentException("quantize-on-load gives frozen 4-bit weights; it cannot be combined with full training");
        ModelConfig config = ModelConfig.load(dir);
        QuantizationConfig stored = QuantizationConfig.load(config.file());
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir);
        try {
            return build(config, quantizeOnLoad != null ? quantizeOnLoad : stored, ckpt, new WeightLoader(ckpt, trainable, quantizeOnLoad));
        } catch (RuntimeException e) {
            ckpt.close();
            throw e;
        }
    }

    /**
     * A model of {@code config}'s shapes whose weights come from {@code init} instead of a checkpoint
     * (random models for benchmarks and tests). {@code init} gets each HF tensor name with the shape
     * config.json implies and returns an F32 tensor of that shape; with {@code trainable} every
     * weight is marked as requiring grad, otherwise all are frozen.
     */
    public static Transformer create(ModelConfig config, BiFunction<String, int[], Tensor> init, boolean trainable) {
        Weights supplied = new Weights() {
            @Override
            public Tensor matrix(String name, int rows, int cols) {
                return take(name, rows, cols);
            }

            @Override
            public Tensor vector(String name, int length) {
                return take(name, length);
            }

            private Tensor take(String name, int... shape) {
                Tensor t = init.apply(name, shape.clone());
                if (!Arrays.equals(t.shape(), shape) || !t.isDenseF32())
                    throw new IllegalArgumentException("weight " + name + " must be a dense F32 tensor of shape "
                            + Arrays.toString(shape) + ", got " + t);
                return t.requiresGrad(trainable);
            }
        };
        return build(config, null, null, supplied);
    }

    private static Transformer build(ModelConfig cfg, QuantizationConfig quantization, SafetensorsCheckpoint ckpt, Weights w) {
        int c = cfg.hiddenSize(), d = cfg.headDim(), ff = cfg.intermediateSize();
        int q = cfg.attention().numHeads() * d, kv = cfg.attention().numKeyValueHeads() * d;
        Tensor embed = w.matrix("model.embed_tokens.weight", cfg.vocabSize(), c);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < cfg.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            Map<String, Linear> proj = new LinkedHashMap<>();
            boolean qkvBias = cfg.attention().qkvBias(), oBias = cfg.attention().outputBias(), mlpBias = cfg.mlpBias();
            proj.put("self_attn.q_proj", w.linear(p + "self_attn.q_proj", q, c, qkvBias));
            proj.put("self_attn.k_proj", w.linear(p + "self_attn.k_proj", kv, c, qkvBias));
            proj.put("self_attn.v_proj", w.linear(p + "self_attn.v_proj", kv, c, qkvBias));
            proj.put("self_attn.o_proj", w.linear(p + "self_attn.o_proj", c, q, oBias));
            proj.put("mlp.gate_proj", w.linear(p + "mlp.gate_proj", ff, c, mlpBias));
            proj.put("mlp.up_proj", w.linear(p + "mlp.up_proj", ff, c, mlpBias));
            proj.put("mlp.down_proj", w.linear(p + "mlp.down_proj", c, ff, mlpBias));
            boolean sandwich = cfg.sandwichNorms();
            layers.add(new DecoderLayer(i, cfg, proj, w.vector(p + "input_layernorm.weight", c),
                    w.vector(p + "post_attention_layernorm.weight", c),
                    sandwich ? w.vector(p + "pre_feedforward_layernorm.weight", c) : null,
                    sandwich ? w.vector(p + "post_feedforward_layernorm.weight", c) : null));
        }
        Tensor norm = w.vector("model.norm.weight", c);
        Linear head;
        if (cfg.task() == Task.SEQUENCE_CLASSIFICATION) {
            head = w.linear("score", cfg.classification().numLabels(), c, false);
        } else {
            head = cfg.tieWordEmbeddings() ? new DenseLinear(embed, null) : w.linear("lm_head", cfg.vocabSize(), c, false);
        }
        return new Transformer(cfg, quantization, ckpt, embed, layers, norm, head);
    }

    public ModelConfig config() {
        return config;
    }

    /** The 4-bit quantization in effect (quantize-on-load, else config.json's), or null for none. */
    public QuantizationConfig quantization() {
        return quantization;
    }

    public List<DecoderLayer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** lm_head for a causal LM, score for a classifier. */
    public Linear head() {
        return head;
    }

    /** Puts a trainable copy or an adapter in place of the head (PEFT's modules_to_save). */
    public void replaceHead(Linear replacement) {
        if (replacement.inFeatures() != head.inFeatures() || replacement.outFeatures() != head.outFeatures())
            throw new IllegalArgumentException("head replacement maps " + replacement.inFeatures() + " → " + replacement.outFeatures());
        head = replacement;
    }

    /** The embedding table [vocab, hidden]. */
    public Tensor embeddings() {
        return embed;
    }

    /** The final RMSNorm's weight. */
    public Tensor finalNorm() {
        return finalNorm;
    }

    /** The RoPE table covering {@code positions} positions (grown and cached as needed). */
    public Rope.Table ropeTable(int positions) {
        return rope(positions);
    }

    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /** Recompute each decoder layer in backward instead of keeping its activations. */
    public void setGradientCheckpointing(boolean on) {
        gradientCheckpointing = on;
    }

    /** Every tensor that receives a gradient, in checkpoint order. */
    public List<Tensor> trainableParameters() {
        List<Tensor> params = new ArrayList<>();
        if (embed.requiresGrad()) params.add(embed);
        for (DecoderLayer l : layers) params.addAll(l.trainableParameters());
        if (finalNorm.requiresGrad()) params.add(finalNorm);
        for (Tensor t : head.trainableParameters()) if (t != embed) params.add(t);
        return params;
    }

    /** A KV cache for generating up to {@code capacity} positions in {@code batch} rows. */
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(layers.size(), batch, config.attention().numKeyValueHeads(), config.headDim(), capacity);
    }

    /**
     * The output of the final norm for token ids [B, T]. {@code attentionMask} [B, past + T]
     * (1 = token, 0 = padding; null = no padding) masks padded keys; with a cache, the ids
     * continue the cached positions and the cache grows by T.
     */
    // ids [B, T] → [B, T, C]
    public Tensor hidden(Tensor ids, Tensor attentionMask, KvCache cache) {
        return hidden(ids, attentionMask, null, cache);
    }

    /**
     * As {@link #hidden(Tensor, Tensor, KvCache)}; {@code packed} [B, T] (or null) are the position ids of
     * packed rows: sequences back to back, each numbered from 0, which RoPE uses and attention never
     * crosses (transformers' padding-free batches with position_ids). Not with a cache.
     */
    public Tensor hidden(Tensor ids, Tensor attentionMask, Tensor packed, KvCache cache) {
        if (ids.rank() != 2) throw new IllegalArgumentException("ids must be [batch, seq]");
        if (packed != null && cache != null) throw new IllegalArgumentException("packed rows are not decoded with a cache");
        int t = ids.size(1), past = cache == null ? 0 : cache.length();
        Tensor h = Embedding.lookup(embed, ids);
        if (config.scalesEmbeddings()) h = h.mul((float) Math.sqrt(config.hiddenSize()));
        DecoderLayer.Step step = new DecoderLayer.Step(rope(past + t), packed != null ? packed : positions(past, t),
                keyPadding(attentionMask), cache, packed);
        boolean recompute = gradientCheckpointing && cache == null && Autograd.enabled();
        for (DecoderLayer layer : layers) {
            if (recompute) h = Checkpoint.apply(x -> layer.forward(x, step), h, layer.trainableParameters());
            else h = layer.forward(h, step);
        }
        if (cache != null) cache.advance(t);
        return RmsNorm.apply(h, finalNorm, (float) config.rmsNormEps(), config.normAddsOne());
    }

    /** Next-token logits of a causal LM (Gemma-2: soft-capped) for hidden states [.., C]. */
    // hidden [.., C] → [.., V]
    public Tensor lmLogits(Tensor hidden) {
        if (config.task() != Task.CAUSAL_LM) throw new IllegalStateException(config.architecture() + " has no language-model head");
        Tensor logits = head.forward(hidden);
        Double cap = config.finalLogitSoftcapping();
        return cap == null ? logits : logits.softcap(cap.floatValue());
    }

    /**
     * Mean next-token cross-entropy: position t predicts labels[t + 1]; labels of −100 (padding,
     * masked prompts) are left out, as transformers' ForCausalLMLoss does.
     */
    // ids, mask, labels [B, T] → scalar
    public Tensor causalLmLoss(Tensor ids, Tensor attentionMask, Tensor labels, CrossEntropy.Reduction reduction) {
        return causalLmLoss(ids, attentionMask, null, labels, reduction);
    }

    /**
     * As {@link #causalLmLoss(Tensor, Tensor, Tensor, CrossEntropy.Reduction)} for packed rows ({@code packed}: their
     * position ids, see {@link #hidden(Tensor, Tensor, Tensor, KvCache)}); the labels must hold −100 at the first
     * token of every sequence, so that no sequence's last token predicts the next one's first.
     */
    public Tensor causalLmLoss(Tensor ids, Tensor attentionMask, Tensor packed, Tensor labels, CrossEntropy.Reduction reduction) {
        int t = ids.size(1);
        // the last position predicts nothing: leaving it out before the head spares a copy of the
        // [B, T−1, V] logits (and of their gradient) that narrowing them afterwards would cost
        Tensor logits = lmLogits(hidden(ids, attentionMask, packed, null).narrow(1, 0, t - 1));
        return CrossEntropy.apply(logits, labels.narrow(1, 1, t - 1), reduction);
    }

    /** Classifier logits [B, labels], read at each row's last token that is not padding. */
    // ids [B, T] → [B, L]
    public Tensor classify(Tensor ids, Tensor attentionMask) {
        if (config.task() != Task.SEQUENCE_CLASSIFICATION) throw new IllegalStateException(config.architecture() + " is not a classifier");
        Tensor h = hidden(ids, attentionMask, null);
        int b = ids.size(0), t = ids.size(1), c = config.hiddenSize();
        int[] rows = new int[b];
        int[] idv = ids.toIntArray();
        Integer pad = b > 1 ? Integer.valueOf(config.requirePadTokenId()) : config.tokenIds().pad();
        for (int r = 0; r < b; r++) {
            // transformers: argmax of position·(id != pad), i.e. the last non-pad position (0 if none)
            int last = pad == null ? t - 1 : 0;
            if (pad != null) for (int i = 0; i < t; i++) if (idv[r * t + i] != pad) last = i;
            rows[r] = r * t + last;
        }
        Tensor pooled = h.reshape(b * t, c).indexSelect(0, Tensor.ofInts(rows, b));
        return head.forward(pooled);
    }

    /** Cross-entropy of the classifier against labels [B]. */
    public Tensor classificationLoss(Tensor ids, Tensor attentionMask, Tensor labels, CrossEntropy.Reduction reduction) {
        return CrossEntropy.apply(classify(ids, attentionMask), labels, reduction);
    }

    private Rope.Table rope(int positions) {
        if (rope == null || rope.maxPositions() < positions) {
            int size = Math.max(positions, Math.min(config.maxPositionEmbeddings(), 4096));
            if (rope != null) size = Math.max(size, 2 * rope.maxPositions());
            rope = Rope.Table.create(config.ropeInverseFrequencies(), size, config.rope().attentionScaling());
        }
        return rope;
    }

    private static Tensor positions(int past, int t) {
        int[] p = new int[t];
        for (int i = 0; i < t; i++) p[i] = past + i;
        return Tensor.ofInts(p, t);
    }

    /** The mask as key padding, or null when it has no zero (every key visible). */
    private static Tensor keyPadding(Tensor mask) {
        if (mask == null) return null;
        for (long v : mask.toLongArray()) if (v == 0) return mask;
        return null;
    }

    @Override
    public void close() {
        if (checkpoint != null) checkpoint.close();
    }

    /** The error for a prompt that does not fit. */
    public BadInputException tooLong(int length, String what) {
        return BadInputException.at(config.file().toString(), what + " of " + length + " tokens exceeds max_position_embeddings "
                + config.maxPositionEmbeddings());
    }
}
