package dev.qlora4j.accel.model;

import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.DeviceBuffer;
import dev.qlora4j.accel.GpuKernels;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.generate.Decoder;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.model.nn.DenseLinear;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Rope;
import dev.qlora4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A (LoRA / QLoRA) {@link Transformer} on the GPU for training and evaluation: the frozen weights
 * in bf16 (or NF4), the adapters' bf16 copies and fp32 gradient accumulators. One call runs a
 * micro-batch forward and, when asked, backward with gradient checkpointing (each layer's input
 * is kept; the backward recomputes the layer). The fp32 masters stay on the host, where the
 * trainer's optimizer, clipping and checkpoints already work: after the micro-batches of a step,
 * {@link #gradientsToHost} sets the host parameters' gradients, and after the optimizer step
 * {@link #parametersChanged} refreshes the device copies.
 */
public final class GpuTransformer implements AutoCloseable {
    /** Logit rows per chunk of the LM head: a [rows, vocab] bf16 chunk stays under about 256 MiB. */
    static final long HEAD_CHUNK_BYTES = 256L << 20;

    private final CudaDevice d;
    private final Transformer model;
    private final boolean causal;
    private final DeviceBuffer embed, finalNorm, head, scratch;
    private final AdapterStore adapters;
    private final Tensor headMaster;   // the classifier head when it is trained (fp32 on the device)
    private DeviceBuffer headGrad;
    private final List<GpuLayer> layers = new ArrayList<>();
    private Rope.Table ropeTable;
    private DeviceBuffer cos, sin;

    public GpuTransformer(CudaDevice d, Transformer model, LoraModel lora) {
        this.d = d;
        this.model = model;
        var cfg = model.config();
        this.causal = cfg.task() == Task.CAUSAL_LM;
        this.embed = DeviceWeights.bf16(d, model.embeddings());
        this.finalNorm = DeviceWeights.f32(d, model.finalNorm());
        long maxWeight = 0;
        for (DecoderLayer l : model.layers()) {
            GpuLayer g = new GpuLayer(d, cfg, l);
            layers.add(g);
            for (GpuLinear p : g.linears()) maxWeight = Math.max(maxWeight, p.scratchElements());
        }
        this.scratch = d.allocate(2L * Math.max(1, maxWeight));
        List<Tensor> adapterTensors = new ArrayList<>();
        for (GpuLayer l : layers)
            for (GpuLinear p : l.linears())
                if (p.lora != null) {
                    adapterTensors.add(p.lora.loraA());
                    adapterTensors.add(p.lora.loraB());
                }
        this.adapters = new AdapterStore(d, adapterTensors);
        for (GpuLayer l : layers) for (GpuLinear p : l.linears()) p.place(adapters);
        if (!(model.head() instanceof DenseLinear headLinear))
            throw new IllegalArgumentException("the GPU backend needs a dense (not quantized) head: " + model.head().getClass().getSimpleName());
        boolean headTrained = lora != null && lora.trainableParameters().contains(headLinear.weight());
        if (headTrained && causal)
            throw new IllegalArgumentException("modules_to_save lm_head trains on the CPU only (--device cpu)");
        if (causal) {
            this.head = headLinear.weight() == model.embeddings() ? embed : DeviceWeights.bf16(d, headLinear.weight());
            this.headMaster = null;
        } else {
            this.head = DeviceWeights.f32(d, headLinear.weight());
            this.headMaster = headTrained ? headLinear.weight() : null;
            if (headTrained) headGrad = d.zeros(4L * headLinear.weight().numel());
        }
    }

    /** What one micro-batch gives: the loss as the CPU computes it with the same reduction. */
    /** @param logits a classifier's logits [B, labels] (null for a causal LM) */
    public record Result(double loss, long counted, float[] logits) {}

    /**
     * Forward (and backward when gradScale != 0) of a micro-batch. ids, mask [B, T]; labels
     * [B, T] (causal LM: token ids, −100 ignored; position t predicts labels[t + 1]) or [B]
     * (classifier). The gradient of gradScale·loss accumulates in the adapters.
     */
    public Result step(int[] ids, int[] mask, int[] labels, int batch, int tokens, CrossEntropy.Reduction reduction, float gradScale,
                       boolean backward, long dropoutSeed) {
        return step(ids, mask, null, labels, batch, tokens, reduction, gradScale, backward, dropoutSeed);
    }

    /**
     * As above; {@code packed} [B, T] (or null) are the position ids of rows of packed sequences, each numbered from
     * 0: RoPE uses them and attention never crosses from one sequence into another. The labels must hold −100 at
     * each sequence's first token.
     */
    public Result step(int[] ids, int[] mask, int[] packed, int[] labels, int batch, int tokens, CrossEntropy.Reduction reduction,
                       float gradScale, boolean backward, long dropoutSeed) {
        var cfg = model.config();
        int rows = batch * tokens, c = cfg.hiddenSize();
        List<DeviceBuffer> batchBuffers = new ArrayList<>();
        DeviceBuffer dIds = keep(batchBuffers, d.upload(ids));
        int[] pos = new int[rows];
        for (int i = 0; i < rows; i++) pos[i] = packed == null ? i % tokens : packed[i];
        DeviceBuffer positions = keep(batchBuffers, d.upload(pos));
        DeviceBuffer starts = null;
        if (packed != null) {
            int[] first = new int[rows];
            for (int i = 0; i < rows; i++) first[i] = i % tokens - packed[i];
            starts = keep(batchBuffers, d.upload(first));
        }
        boolean padded = false;
        for (int m : mask) padded |= m == 0;
        DeviceBuffer keyPadding = padded ? keep(batchBuffers, d.upload(mask)) : null;
        ensureRope(tokens);
        GpuLayer.Step s = new GpuLayer.Step(batch, tokens, positions, cos, sin, keyPadding, scratch, dropoutSeed, starts);

        DeviceBuffer h = embed(dIds, rows);
        // with gradient checkpointing only each layer's input is kept and the backward recomputes the
        // layer; without, every layer's activations are kept (more memory, a third less compute)
        boolean keep = backward && !model.gradientCheckpointing();
        List<DeviceBuffer> inputs = new ArrayList<>();
        List<GpuLayer.Acts> kept = new ArrayList<>();
        for (GpuLayer layer : layers) {
            DeviceBuffer next;
            if (keep) {
                GpuLayer.Acts a = layer.forwardKeeping(d, h, s);
                kept.add(a);
                next = a.h;
            } else {
                next = layer.forward(d, h, s);
            }
            if (backward) inputs.add(h);
            else d.free(h);
            h = next;
        }
        DeviceBuffer rstd = d.allocate(4L * rows), hf = d.allocate(2L * rows * c);
        GpuKernels.rmsNormForward(d, DType.BF16, h, finalNorm, hf, rstd, rows, c, (float) cfg.rmsNormEps(), cfg.normAddsOne());
        DeviceBuffer dhf = backward ? d.zeros(2L * rows * c) : null;
        Result result = causal ? lmLoss(hf, dhf, labels, batch, tokens, reduction, gradScale)
                : classifierLoss(hf, dhf, ids, labels, batch, tokens, reduction, gradScale);
        d.free(hf);
        if (backward) {
            DeviceBuffer dh = d.allocate(2L * rows * c);
            GpuKernels.rmsNormBackward(d, DType.BF16, h, finalNorm, rstd, dhf, dh, rows, c, cfg.normAddsOne(), false);
            d.free(dhf);
            for (int l = layers.size() - 1; l >= 0; l--) {
                if (keep) layers.get(l).backward(d, kept.get(l), inputs.get(l), dh, s);
                else layers.get(l).backward(d, inputs.get(l), dh, s);
                d.free(inputs.get(l));
            }
            d.free(dh);
        }
        d.free(h);
        d.free(rstd);
        for (DeviceBuffer b : batchBuffers) d.free(b);
        return result;
    }

    /**
     * A decoder for generation on the GPU: keys and values of the fed positions stay on the device
     * (per layer [capacity, Hkv·D] bf16), each new token runs one position through the layers.
     */
    public Decoder decoder() {
        if (!causal) throw new IllegalStateException("generation needs a causal LM");
        return new Decoder() {
            private DeviceBuffer[] keys = new DeviceBuffer[0], values = new DeviceBuffer[0];
            private int capacity, length;

            @Override
            public int capacity() {
                return capacity;
            }

            @Override
            public void ensureCapacity(int positions) {
                if (positions <= capacity) return;
                var cfg = model.config();
                long row = 2L * cfg.attention().numKeyValueHeads() * cfg.headDim();
                DeviceBuffer[] k = new DeviceBuffer[layers.size()], v = new DeviceBuffer[layers.size()];
                for (int l = 0; l < k.length; l++) {
                    k[l] = d.allocate(row * positions);
                    v[l] = d.allocate(row * positions);
                    if (length > 0) {
                        d.copy(keys[l], k[l], row * length);
                        d.copy(values[l], v[l], row * length);
                    }
                    if (keys.length > 0) {
                        d.free(keys[l]);
                        d.free(values[l]);
                    }
                }
                keys = k;
                values = v;
                capacity = positions;
            }

            @Override
            public void truncate(int keep) {
                length = Math.min(length, Math.max(0, keep));
            }

            @Override
            public float[] feed(int[] tokens) {
                if (length + tokens.length > capacity)
                    throw new IllegalStateException("decoder holds " + capacity + " positions, " + (length + tokens.length) + " needed");
                float[] logits = nextTokenLogits(tokens, length, keys, values);
                length += tokens.length;
                return logits;
            }
        };
    }

    // tokens after `past` cached positions → logits [vocab] of the last (fp32, soft-capped as the CPU's lmLogits)
    private float[] nextTokenLogits(int[] ids, int past, DeviceBuffer[] keys, DeviceBuffer[] values) {
        var cfg = model.config();
        int tokens = ids.length, c = cfg.hiddenSize(), vocab = cfg.vocabSize();
        DeviceBuffer dIds = d.upload(ids);
        int[] pos = new int[tokens];
        for (int i = 0; i < tokens; i++) pos[i] = past + i;
        DeviceBuffer positions = d.upload(pos);
        ensureRope(past + tokens);
        GpuLayer.Step s = new GpuLayer.Step(1, tokens, positions, cos, sin, null, scratch, 0, keys, values, past);
        DeviceBuffer h = embed(dIds, tokens);
        for (GpuLayer layer : layers) {
            DeviceBuffer next = layer.forward(d, h, s);
            d.free(h);
            h = next;
        }
        DeviceBuffer rstd = d.allocate(4L), hf = d.allocate(2L * c), logits = d.allocate(4L * vocab);
        GpuKernels.rmsNormForward(d, DType.BF16, h.slice(2L * (tokens - 1) * c, 2L * c), finalNorm, hf, rstd, 1, c,
                (float) cfg.rmsNormEps(), cfg.normAddsOne());
        d.matmul(false, true, 1, vocab, c, 1f, hf, DType.BF16, head, DType.BF16, 0f, logits, DType.F32);
        float[] out = d.downloadFloats(logits, vocab);
        for (DeviceBuffer b : new DeviceBuffer[]{dIds, positions, h, rstd, hf, logits}) d.free(b);
        Double cap = cfg.finalLogitSoftcapping();
        if (cap == null) return out;
        try (var ignored = Tensor.noGrad()) {
            return Tensor.of(out, vocab).softcap(cap.floatValue()).toFloatArray();
        }
    }

    /** The embedding rows of token ids [rows] (Gemma: times √C), a new [rows, C] bf16 buffer. */
    private DeviceBuffer embed(DeviceBuffer ids, int rows) {
        var cfg = model.config();
        int c = cfg.hiddenSize();
        DeviceBuffer h = d.allocate(2L * rows * c);
        float scale = cfg.scalesEmbeddings() ? (float) Math.sqrt(c) : 1f;
        GpuKernels.gatherRows(d, embed, ids, h, rows, c, scale);
        return h;
    }

    private Result lmLoss(DeviceBuffer hf, DeviceBuffer dhf, int[] labels, int batch, int tokens, CrossEntropy.Reduction reduction,
                          float gradScale) {
        var cfg = model.config();
        int rows = batch * tokens, c = cfg.hiddenSize(), vocab = cfg.vocabSize();
        int[] targets = new int[rows];
        long counted = 0;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < tokens; t++) {
                int target = t + 1 < tokens ? labels[b * tokens + t + 1] : CrossEntropy.IGNORE_INDEX;
                if (target != CrossEntropy.IGNORE_INDEX && (target < 0 || target >= vocab))
                    throw new IllegalArgumentException("label " + target + " outside the vocabulary of " + vocab);
                targets[b * tokens + t] = target;
                if (target != CrossEntropy.IGNORE_INDEX) counted++;
            }
        float rowScale = reduction == CrossEntropy.Reduction.MEAN ? gradScale / Math.max(1, counted) : gradScale;
        DeviceBuffer dTargets = d.upload(targets), loss = d.allocate(4L * rows);
        Double cap = cfg.finalLogitSoftcapping();
        int chunk = (int) Math.max(1, Math.min(rows, HEAD_CHUNK_BYTES / (2L * vocab)));
        DeviceBuffer logits = d.allocate(2L * chunk * vocab);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            DeviceBuffer x = hf.slice(2L * r0 * c, 2L * n * c), tg = dTargets.slice(4L * r0, 4L * n), ls = loss.slice(4L * r0, 4L * n);
            d.matmul(false, true, n, vocab, c, 1f, x, DType.BF16, head, DType.BF16, 0f, logits, DType.BF16);
            GpuKernels.crossEntropy(d, DType.BF16, logits, tg, ls, n, vocab, cap == null ? 0f : cap.floatValue(), rowScale);
            if (dhf != null)
                d.matmul(false, false, n, c, vocab, 1f, logits, DType.BF16, head, DType.BF16, 0f, dhf.slice(2L * r0 * c, 2L * n * c), DType.BF16);
        }
        d.free(logits);
        double sum = 0;
        for (float l : d.downloadFloats(loss, rows)) sum += l;
        d.free(loss);
        d.free(dTargets);
        return new Result(reduction == CrossEntropy.Reduction.MEAN ? sum / counted : sum, counted, null);
    }

    private Result classifierLoss(DeviceBuffer hf, DeviceBuffer dhf, int[] ids, int[] labels, int batch, int tokens,
                                  CrossEntropy.Reduction reduction, float gradScale) {
        var cfg = model.config();
        int c = cfg.hiddenSize(), classes = model.head().outFeatures();
        int[] rows = new int[batch];
        Integer pad = batch > 1 ? Integer.valueOf(cfg.requirePadTokenId()) : cfg.tokenIds().pad();
        for (int r = 0; r < batch; r++) {
            int last = pad == null ? tokens - 1 : 0;   // transformers: the last position whose id is not the pad id
            if (pad != null) for (int i = 0; i < tokens; i++) if (ids[r * tokens + i] != pad) last = i;
            rows[r] = r * tokens + last;
        }
        DeviceBuffer dRows = d.upload(rows), pooled = d.allocate(2L * batch * c), pooled32 = d.allocate(4L * batch * c);
        GpuKernels.gatherRows(d, hf, dRows, pooled, batch, c, 1f);
        GpuKernels.cast(d, pooled, DType.BF16, pooled32, DType.F32, (long) batch * c);
        DeviceBuffer logits = d.allocate(4L * batch * classes), loss = d.allocate(4L * batch), dLabels = d.upload(labels);
        d.matmul(false, true, batch, classes, c, 1f, pooled32, DType.F32, head, DType.F32, 0f, logits, DType.F32);
        float[] logitValues = d.downloadFloats(logits, batch * classes);
        float rowScale = reduction == CrossEntropy.Reduction.MEAN ? gradScale / batch : gradScale;
        GpuKernels.crossEntropy(d, DType.F32, logits, dLabels, loss, batch, classes, 0f, rowScale);
        if (dhf != null) {
            if (headGrad != null)
                d.matmul(true, false, classes, c, batch, 1f, logits, DType.F32, pooled32, DType.F32, 1f, headGrad, DType.F32);
            DeviceBuffer dp32 = d.allocate(4L * batch * c);
            d.matmul(false, false, batch, c, classes, 1f, logits, DType.F32, head, DType.F32, 0f, dp32, DType.F32);
            GpuKernels.cast(d, dp32, DType.F32, pooled, DType.BF16, (long) batch * c);
            GpuKernels.scatterRows(d, pooled, dRows, dhf, batch, c);
            d.free(dp32);
        }
        double sum = 0;
        for (float l : d.downloadFloats(loss, batch)) sum += l;
        for (DeviceBuffer b : new DeviceBuffer[]{dRows, pooled, pooled32, logits, loss, dLabels}) d.free(b);
        return new Result(reduction == CrossEntropy.Reduction.MEAN ? sum / batch : sum, batch, logitValues);
    }

    /** The gradients accumulated since the last call, added to the host parameters' .grad; the device's are zeroed. */
    public void gradientsToHost() {
        adapters.gradientsToHost(d);
        if (headGrad != null) {
            GpuLinear.addGrad(headMaster, d.downloadFloats(headGrad, (int) headMaster.numel()));
            d.clear(headGrad, 4L * headMaster.numel());
        }
    }

    /** The accumulated gradients (adapters and a trained head) summed over the ranks' GPUs, in place. */
    public void allReduceGradients(dev.qlora4j.accel.NcclComm nccl, long timeoutNanos) {
        adapters.allReduce(nccl, timeoutNanos);
        if (headGrad != null) nccl.allReduceSum(headGrad, headMaster.numel(), timeoutNanos);
    }

    /** The host's fp32 parameters changed (optimizer step, resume): copy them to the device. */
    public void parametersChanged() {
        adapters.refresh(d);
        if (headMaster != null) {
            DeviceBuffer fresh = DeviceWeights.f32(d, headMaster);
            d.copy(fresh, head, 4L * headMaster.numel());
            d.free(fresh);
        }
    }

    private void ensureRope(int tokens) {
        Rope.Table t = model.ropeTable(tokens);
        if (t != ropeTable) {
            if (cos != null) {
                d.free(cos);
                d.free(sin);
            }
            ropeTable = t;
            cos = d.upload(t.cos());
            sin = d.upload(t.sin());
        }
    }

    private static DeviceBuffer keep(List<DeviceBuffer> list, DeviceBuffer b) {
        list.add(b);
        return b;
    }

    public CudaDevice device() {
        return d;
    }

    @Override
    public void close() {
        // the device's allocator owns every buffer; closing the device frees them
    }
}
