package dev.qlora4j.accel.model;

import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.DeviceBuffer;
import dev.qlora4j.accel.GpuAttention;
import dev.qlora4j.accel.GpuKernels;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.tensor.DType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One decoder layer on the GPU, forward and backward side by side (as {@link DecoderLayer}
 * computes it on the CPU):
 * <pre>
 * x₁ = norm₁(h);  q, k, v = proj(x₁);  rope(q, k);  o = attn(q, k, v);  a = o_proj(o)  [Gemma-2: a = norm_pa(a)]
 * h₁ = h + a;  x₂ = norm₂(h₁);  m = act(gate(x₂))·up(x₂);  f = down(m)                [Gemma-2: f = norm_pf(f)]
 * h₂ = h₁ + f
 * </pre>
 * The forward keeps what the backward needs only when asked (gradient checkpointing: the first
 * pass keeps nothing, the backward recomputes the layer from its input).
 */
final class GpuLayer {
    private static final String[] ORDER = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

    private final ModelConfig config;
    private final int index;
    final Map<String, GpuLinear> proj = new LinkedHashMap<>();
    private final DeviceBuffer norm1, norm2, normPostAttention, normPostFeedforward;

    GpuLayer(CudaDevice d, ModelConfig config, DecoderLayer layer) {
        this.config = config;
        this.index = layer.index();
        gate();   // refuses an activation without a kernel now, not in the middle of a step
        for (String name : ORDER) proj.put(name, new GpuLinear(d, layer.projections().get(name)));
        DecoderLayer.Norms n = layer.norms();
        norm1 = DeviceWeights.f32(d, n.input());
        if (config.sandwichNorms()) {
            normPostAttention = DeviceWeights.f32(d, n.postAttention());
            norm2 = DeviceWeights.f32(d, n.preFeedforward());
            normPostFeedforward = DeviceWeights.f32(d, n.postFeedforward());
        } else {
            norm2 = DeviceWeights.f32(d, n.postAttention());
            normPostAttention = normPostFeedforward = null;
        }
    }

    List<GpuLinear> linears() {
        return new ArrayList<>(proj.values());
    }

    /** Everything one step of one layer shares. */
    /**
     * @param cacheK per layer, when decoding: [capacity, Hkv·D] bf16 keys of the {@code past}
     *               positions before these tokens (which the forward appends); null in training
     */
    /** @param starts packed rows: [B, T] the first token of each token's sequence (attention stays inside it); else null */
    record Step(int batch, int tokens, DeviceBuffer positions, DeviceBuffer cos, DeviceBuffer sin, DeviceBuffer keyPadding,
                DeviceBuffer scratch, long seed, DeviceBuffer[] cacheK, DeviceBuffer[] cacheV, int past, DeviceBuffer starts) {
        Step(int batch, int tokens, DeviceBuffer positions, DeviceBuffer cos, DeviceBuffer sin, DeviceBuffer keyPadding,
             DeviceBuffer scratch, long seed, DeviceBuffer starts) {
            this(batch, tokens, positions, cos, sin, keyPadding, scratch, seed, null, null, 0, starts);
        }

        Step(int batch, int tokens, DeviceBuffer positions, DeviceBuffer cos, DeviceBuffer sin, DeviceBuffer keyPadding,
             DeviceBuffer scratch, long seed, DeviceBuffer[] cacheK, DeviceBuffer[] cacheV, int past) {
            this(batch, tokens, positions, cos, sin, keyPadding, scratch, seed, cacheK, cacheV, past, null);
        }

        int rows() {
            return batch * tokens;
        }
    }

    /** The activations of one forward, for its backward. */
    static final class Acts {
        final List<DeviceBuffer> owned = new ArrayList<>();
        DeviceBuffer h, x1, rstd1, q, k, v, o, aPre, rstdPa, h1, x2, rstd2, gate, up, m, fPre, rstdPf;
        final Map<String, DeviceBuffer> xa = new LinkedHashMap<>();
        GpuAttention.Saved attention;

        DeviceBuffer keep(DeviceBuffer b) {
            owned.add(b);
            return b;
        }

        void free(CudaDevice d) {
            for (DeviceBuffer b : owned) d.free(b);
            for (DeviceBuffer b : xa.values()) d.free(b);
            if (attention != null) attention.free(d);
        }
    }

    private long seed(Step s, int projection) {
        return s.seed() ^ (0x9e3779b97f4a7c15L * (index * 8L + projection + 1));
    }

    private DeviceBuffer linear(CudaDevice d, Acts a, String name, DeviceBuffer x, Step s) {
        DeviceBuffer[] saved = new DeviceBuffer[1];
        DeviceBuffer y = proj.get(name).forward(d, x, s.rows(), s.scratch(), seed(s, List.of(ORDER).indexOf(name)), saved);
        if (saved[0] != null) {
            if (a != null) a.xa.put(name, saved[0]);
            else d.free(saved[0]);
        }
        return y;
    }

    private DeviceBuffer norm(CudaDevice d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer rstd, int rows) {
        int c = config.hiddenSize();
        DeviceBuffer y = d.allocate(2L * rows * c);
        GpuKernels.rmsNormForward(d, DType.BF16, x, w, y, rstd, rows, c, (float) config.rmsNormEps(), config.normAddsOne());
        return y;
    }

    private GpuAttention.Shape attentionShape(Step s) {
        Integer window = config.attention().windowOf(index);
        Double cap = config.attention().logitSoftcapping();
        return new GpuAttention.Shape(s.batch(), s.tokens(), s.past() + s.tokens(), config.attention().numHeads(), config.attention().numKeyValueHeads(),
                config.headDim(), (float) config.attention().scaling(), true, window == null ? 0 : window, cap == null ? 0f : cap.floatValue());
    }

    /** h [rows, C] → the layer's output (new buffer); h is not changed. */
    DeviceBuffer forward(CudaDevice d, DeviceBuffer h, Step s) {
        Acts a = run(d, h, s, false, true);
        return a.h;
    }

    /**
     * The forward that keeps its activations for {@link #backward(CudaDevice, Acts, DeviceBuffer,
     * DeviceBuffer, Step)} (no gradient checkpointing); the output is {@code acts.h}, the caller's
     * to free. The attention's scores are dropped and recomputed in the backward.
     */
    Acts forwardKeeping(CudaDevice d, DeviceBuffer h, Step s) {
        Acts a = run(d, h, s, true, true);
        a.attention = a.attention.withoutScores(d);
        return a;
    }

    /**
     * @param keep   keep the activations the backward reads
     * @param output compute the layer's output a.h; a recompute for the backward does not need it,
     *               and without Gemma-2's post-feedforward norm (whose input and rstd the backward
     *               reads) and without an adapter on it (whose x·Aᵀ the backward reads) it skips the
     *               down projection altogether: a quarter of a Llama layer's weights
     */
    private Acts run(CudaDevice d, DeviceBuffer h, Step s, boolean keep, boolean output) {
        Acts a = new Acts();
        Acts saving = keep ? a : null;
        int rows = s.rows(), c = config.hiddenSize(), hd = config.headDim();
        int hq = config.attention().numHeads(), hkv = config.attention().numKeyValueHeads();
        a.rstd1 = a.keep(d.allocate(4L * rows));
        a.x1 = norm(d, h, norm1, a.rstd1, rows);
        a.q = linear(d, saving, "self_attn.q_proj", a.x1, s);
        a.k = linear(d, saving, "self_attn.k_proj", a.x1, s);
        a.v = linear(d, saving, "self_attn.v_proj", a.x1, s);
        GpuKernels.rope(d, DType.BF16, a.q, s.positions(), s.cos(), s.sin(), rows, hq, hd / 2, false);
        GpuKernels.rope(d, DType.BF16, a.k, s.positions(), s.cos(), s.sin(), rows, hkv, hd / 2, false);
        a.o = d.allocate(2L * rows * hq * hd);
        DeviceBuffer keys = a.k, values = a.v;
        if (s.cacheK() != null) {
            // decoding (batch 1): the new keys and values go after the cached ones, attention reads them all
            long row = 2L * hkv * hd, bytes = row * rows;
            DeviceBuffer ck = s.cacheK()[index], cv = s.cacheV()[index];
            d.copy(a.k, ck.slice(row * s.past(), bytes), bytes);
            d.copy(a.v, cv.slice(row * s.past(), bytes), bytes);
            keys = ck.slice(0, row * (s.past() + rows));
            values = cv.slice(0, row * (s.past() + rows));
        }
        a.attention = GpuAttention.forward(d, attentionShape(s), a.q, keys, values, s.keyPadding(), s.starts(), a.o);
        d.free(a.q);    // the attention keeps its own head-major copies
        d.free(a.k);
        d.free(a.v);
        DeviceBuffer[] pre = new DeviceBuffer[2];
        a.h1 = residual(d, a, h, linear(d, saving, "self_attn.o_proj", a.o, s), normPostAttention, pre, rows);
        a.aPre = pre[0];
        a.rstdPa = pre[1];
        a.rstd2 = a.keep(d.allocate(4L * rows));
        a.x2 = norm(d, a.h1, norm2, a.rstd2, rows);
        a.gate = linear(d, saving, "mlp.gate_proj", a.x2, s);
        a.up = linear(d, saving, "mlp.up_proj", a.x2, s);
        long ff = (long) rows * config.intermediateSize();
        a.m = d.allocate(2L * ff);
        GpuKernels.gatedForward(d, gate(), DType.BF16, a.gate, a.up, a.m, ff);
        if (output || normPostFeedforward != null || proj.get("mlp.down_proj").lora != null) {
            a.h = residual(d, a, a.h1, linear(d, saving, "mlp.down_proj", a.m, s), normPostFeedforward, pre, rows);
            a.fPre = pre[0];
            a.rstdPf = pre[1];
        }
        for (DeviceBuffer b : new DeviceBuffer[]{a.x1, a.o, a.aPre, a.h1, a.x2, a.gate, a.up, a.m, a.fPre})
            if (b != null) a.owned.add(b);
        if (!keep) {
            DeviceBuffer out = a.h;
            a.free(d);
            a.h = out;
        }
        return a;
    }

    /**
     * h + branch (Gemma-2: h + norm(branch)) in a new buffer. The branch is freed, or with a norm
     * kept as pre[0] with the norm's rstd as pre[1] (both then owned by a) for the backward.
     */
    private DeviceBuffer residual(CudaDevice d, Acts a, DeviceBuffer h, DeviceBuffer branch, DeviceBuffer postNorm,
                                  DeviceBuffer[] pre, int rows) {
        long n = (long) rows * config.hiddenSize();
        DeviceBuffer added = branch;
        pre[0] = pre[1] = null;
        if (postNorm != null) {
            pre[0] = branch;
            pre[1] = a.keep(d.allocate(4L * rows));
            added = norm(d, branch, postNorm, pre[1], rows);
        }
        DeviceBuffer out = d.allocate(2 * n);
        GpuKernels.addInto(d, out, h, added, n);
        d.free(added);
        return out;
    }

    /**
     * Recomputes the layer from its input h and back-propagates: dh holds d loss / d output on
     * entry and d loss / d h on return (updated in place); adapter gradients accumulate.
     */
    void backward(CudaDevice d, DeviceBuffer h, DeviceBuffer dh, Step s) {
        Acts a = run(d, h, s, true, false);
        if (a.h != null) d.free(a.h);
        backward(d, a, h, dh, s);
    }

    /** The backward from kept activations {@code a} of the forward whose input was h (frees a, not a.h). */
    void backward(CudaDevice d, Acts a, DeviceBuffer h, DeviceBuffer dh, Step s) {
        int rows = s.rows(), c = config.hiddenSize(), hd = config.headDim();
        int hq = config.attention().numHeads(), hkv = config.attention().numKeyValueHeads();
        long rc = (long) rows * c, ff = (long) rows * config.intermediateSize();
        // MLP branch: dh is d/dh₂ = d/dh₁ through the residual, plus the branch below
        DeviceBuffer df = dh;
        if (normPostFeedforward != null) {
            df = d.allocate(2L * rc);
            GpuKernels.rmsNormBackward(d, DType.BF16, a.fPre, normPostFeedforward, a.rstdPf, dh, df, rows, c, config.normAddsOne(), false);
        }
        DeviceBuffer dm = d.allocate(2L * ff);
        backwardLinear(d, a, "mlp.down_proj", df, a.m, dm, 0f, s);
        if (df != dh) d.free(df);
        DeviceBuffer dGate = d.allocate(2L * ff), dUp = d.allocate(2L * ff);
        GpuKernels.gatedBackward(d, gate(), DType.BF16, a.gate, a.up, dm, dGate, dUp, ff);
        d.free(dm);
        DeviceBuffer dx2 = d.allocate(2L * rc);
        backwardLinear(d, a, "mlp.gate_proj", dGate, a.x2, dx2, 0f, s);
        backwardLinear(d, a, "mlp.up_proj", dUp, a.x2, dx2, 1f, s);
        d.free(dGate);
        d.free(dUp);
        normBackwardInto(d, a.h1, norm2, a.rstd2, dx2, dh, rows);
        d.free(dx2);
        // attention branch: dh is now d/dh₁
        DeviceBuffer da = dh;
        if (normPostAttention != null) {
            da = d.allocate(2L * rc);
            GpuKernels.rmsNormBackward(d, DType.BF16, a.aPre, normPostAttention, a.rstdPa, dh, da, rows, c, config.normAddsOne(), false);
        }
        DeviceBuffer dO = d.allocate(2L * rows * hq * hd);
        backwardLinear(d, a, "self_attn.o_proj", da, a.o, dO, 0f, s);
        if (da != dh) d.free(da);
        DeviceBuffer dq = d.allocate(2L * rows * hq * hd), dk = d.allocate(2L * rows * hkv * hd), dv = d.allocate(2L * rows * hkv * hd);
        GpuAttention.backward(d, attentionShape(s), a.attention, dO, s.keyPadding(), s.starts(), dq, dk, dv);
        d.free(dO);
        GpuKernels.rope(d, DType.BF16, dq, s.positions(), s.cos(), s.sin(), rows, hq, hd / 2, true);
        GpuKernels.rope(d, DType.BF16, dk, s.positions(), s.cos(), s.sin(), rows, hkv, hd / 2, true);
        DeviceBuffer dx1 = d.allocate(2L * rc);
        backwardLinear(d, a, "self_attn.q_proj", dq, a.x1, dx1, 0f, s);
        backwardLinear(d, a, "self_attn.k_proj", dk, a.x1, dx1, 1f, s);
        backwardLinear(d, a, "self_attn.v_proj", dv, a.x1, dx1, 1f, s);
        for (DeviceBuffer b : new DeviceBuffer[]{dq, dk, dv}) d.free(b);
        normBackwardInto(d, h, norm1, a.rstd1, dx1, dh, rows);
        d.free(dx1);
        a.free(d);
    }

    private void backwardLinear(CudaDevice d, Acts a, String name, DeviceBuffer dy, DeviceBuffer x, DeviceBuffer dx, float beta, Step s) {
        proj.get(name).backward(d, dy, x, a.xa.remove(name), s.rows(), dx, beta, s.scratch(), seed(s, List.of(ORDER).indexOf(name)));
    }

    // dh += norm_bwd(x, dy)
    private void normBackwardInto(CudaDevice d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer rstd, DeviceBuffer dy, DeviceBuffer dh, int rows) {
        GpuKernels.rmsNormBackward(d, DType.BF16, x, w, rstd, dy, dh, rows, config.hiddenSize(), config.normAddsOne(), true);
    }

    private GpuKernels.Gate gate() {
        return switch (config.activation()) {
            case SILU -> GpuKernels.Gate.SILU;
            case GELU_TANH -> GpuKernels.Gate.GELU_TANH;
            case GELU -> throw new IllegalArgumentException("exact GELU has no GPU kernel yet (hidden_act gelu); use the CPU");
        };
    }
}
