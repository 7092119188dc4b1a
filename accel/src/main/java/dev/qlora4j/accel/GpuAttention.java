package dev.qlora4j.accel;

import dev.qlora4j.tensor.DType;

/**
 * Eager attention on the GPU, as transformers' eager path computes it (the path Gemma-2 needs for
 * its soft-capping): heads split out of the projections' [B, T, H·D] rows (K and V repeated for
 * grouped queries), S = scale·Q·Kᵀ (bf16, as transformers' matmul gives it) and O = P·V as cuBLAS batched GEMMs over B·H, the masked
 * softmax between them in a kernel. The backward recomputes P from S and the saved log-sum-exp.
 */
public final class GpuAttention {
    private GpuAttention() {}

    /**
     * @param tokens  queries per row (T)
     * @param keys    keys per row (S ≥ T; S − T cached positions precede the queries when decoding)
     * @param window  sliding window (0: none)
     * @param softcap attention logit soft-cap (0: none)
     */
    public record Shape(int batch, int tokens, int keys, int heads, int kvHeads, int headDim, float scale, boolean causal, int window,
                        float softcap) {
        /** Training's shape: every query's own sequence is its keys. */
        public Shape(int batch, int tokens, int heads, int kvHeads, int headDim, float scale, boolean causal, int window, float softcap) {
            this(batch, tokens, tokens, heads, kvHeads, headDim, scale, causal, window, softcap);
        }

        long rows() {
            return (long) batch * heads * tokens;
        }

        long headElements() {
            return rows() * headDim;
        }
    }

    /** What the backward needs: Q, K, V with heads split (K, V repeated), the scores, P and log-sum-exp. */
    public record Saved(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer scores, DeviceBuffer probs, DeviceBuffer lse) {
        public void free(CudaDevice d) {
            for (DeviceBuffer b : new DeviceBuffer[]{q, k, v, scores, probs, lse}) if (b != null) d.free(b);
        }

        /**
         * Without the [B·H, T, T] scores and probabilities (the bulk of it, for a forward whose
         * activations are kept until the backward): the backward recomputes them from Q and K.
         */
        public Saved withoutScores(CudaDevice d) {
            d.free(scores);
            d.free(probs);
            return new Saved(q, k, v, null, null, lse);
        }
    }

    /**
     * q [B, T, Hq·D], k, v [B, S, Hkv·D] (bf16) → out [B, T, Hq·D] (bf16). keyPadding [B, S] int32
     * (0 = padding) or null; starts [B, T] int32 (rows of packed sequences) or null: the first token of each
     * query's own sequence (i − its position id), before which it sees no key.
     */
    public static Saved forward(CudaDevice d, Shape s, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer keyPadding,
                                DeviceBuffer starts, DeviceBuffer out) {
        if (starts != null && s.keys() != s.tokens()) throw new IllegalArgumentException("packed rows are not decoded with a cache");
        int t = s.tokens(), n = s.keys(), dim = s.headDim(), bh = s.batch() * s.heads();
        DeviceBuffer qh = split(d, s, q, s.heads(), t), kh = split(d, s, k, s.kvHeads(), n), vh = split(d, s, v, s.kvHeads(), n);
        DeviceBuffer lse = d.allocate(4L * s.rows());
        DeviceBuffer[] sp = scoresAndProbs(d, s, qh, kh, lse, keyPadding, starts);
        DeviceBuffer scores = sp[0], probs = sp[1];
        DeviceBuffer oh = d.allocate(2L * s.headElements());
        d.batchedMatmul(false, false, t, dim, n, 1f, probs, DType.BF16, (long) t * n, vh, DType.BF16, (long) n * dim,
                0f, oh, DType.BF16, (long) t * dim, bh);
        merge(d, s, oh, out, s.heads());
        d.free(oh);
        return new Saved(qh, kh, vh, scores, probs, lse);
    }

    // S = scale·Q·Kᵀ and P = softmax, both bf16; lse written
    private static DeviceBuffer[] scoresAndProbs(CudaDevice d, Shape s, DeviceBuffer qh, DeviceBuffer kh, DeviceBuffer lse,
                                                 DeviceBuffer keyPadding, DeviceBuffer starts) {
        int t = s.tokens(), n = s.keys(), dim = s.headDim(), bh = s.batch() * s.heads();
        DeviceBuffer scores = d.allocate(2L * bh * t * n), probs = d.allocate(2L * bh * t * n);
        d.batchedMatmul(false, true, t, n, dim, s.scale(), qh, DType.BF16, (long) t * dim, kh, DType.BF16, (long) n * dim,
                0f, scores, DType.BF16, (long) t * n, bh);
        d.launch("attn_softmax_fwd", s.rows(), GpuKernels.rowBlock(n), scores, probs, lse, pad(keyPadding), pad(starts), t, n, s.heads(),
                s.causal(), s.window(), s.softcap());
        return new DeviceBuffer[]{scores, probs};
    }

    /**
     * dOut [B, T, Hq·D] → dq (training: keys = tokens) [B, T, Hq·D], dk, dv [B, T, Hkv·D] (bf16; grouped heads summed),
     * with the forward's keyPadding and starts.
     */
    public static void backward(CudaDevice d, Shape s, Saved saved, DeviceBuffer dOut, DeviceBuffer keyPadding, DeviceBuffer starts,
                                DeviceBuffer dq, DeviceBuffer dk, DeviceBuffer dv) {
        if (s.keys() != s.tokens()) throw new IllegalArgumentException("the attention backward is for training (keys = queries)");
        int t = s.tokens(), dim = s.headDim(), bh = s.batch() * s.heads();
        long td = (long) t * dim, tt = (long) t * t;
        if (saved.scores() == null) {
            DeviceBuffer[] sp = scoresAndProbs(d, s, saved.q(), saved.k(), saved.lse(), keyPadding, starts);
            saved = new Saved(saved.q(), saved.k(), saved.v(), sp[0], sp[1], saved.lse());
            try {
                backward(d, s, saved, dOut, keyPadding, starts, dq, dk, dv);
            } finally {
                d.free(sp[0]);
                d.free(sp[1]);
            }
            return;
        }
        DeviceBuffer doh = split(d, s, dOut, s.heads(), t);
        DeviceBuffer grad = d.allocate(2L * s.headElements());
        // dV = Pᵀ·dO
        d.batchedMatmul(true, false, t, dim, t, 1f, saved.probs(), DType.BF16, tt, doh, DType.BF16, td, 0f, grad, DType.BF16, td, bh);
        merge(d, s, grad, dv, s.kvHeads());
        // dP = dO·Vᵀ, then dS through the softmax (and the soft-cap)
        DeviceBuffer dp = d.allocate(2L * bh * tt), ds = d.allocate(2L * bh * tt);
        d.batchedMatmul(false, true, t, t, dim, 1f, doh, DType.BF16, td, saved.v(), DType.BF16, td, 0f, dp, DType.BF16, tt, bh);
        d.launch("attn_softmax_bwd", s.rows(), GpuKernels.rowBlock(t), saved.scores(), saved.lse(), dp, ds, pad(keyPadding), pad(starts), t, t,
                s.heads(), s.causal(), s.window(), s.softcap());
        d.free(dp);
        // dQ = scale·dS·K, dK = scale·dSᵀ·Q
        d.batchedMatmul(false, false, t, dim, t, s.scale(), ds, DType.BF16, tt, saved.k(), DType.BF16, td, 0f, grad, DType.BF16, td, bh);
        merge(d, s, grad, dq, s.heads());
        d.batchedMatmul(true, false, t, dim, t, s.scale(), ds, DType.BF16, tt, saved.q(), DType.BF16, td, 0f, grad, DType.BF16, td, bh);
        merge(d, s, grad, dk, s.kvHeads());
        d.free(ds);
        d.free(grad);
        d.free(doh);
    }

    // x [B, tokens, from·D] → [B, H, tokens, D]
    private static DeviceBuffer split(CudaDevice d, Shape s, DeviceBuffer x, int from, int tokens) {
        long n = (long) s.batch() * s.heads() * tokens * s.headDim();
        DeviceBuffer y = d.allocate(2L * n);
        d.launch("heads_split_bf16", d.gridFor(n, GpuKernels.BLOCK), GpuKernels.BLOCK, x, y, s.batch(), tokens, s.heads(), from,
                s.headDim());
        return y;
    }

    // [B, H, T, D] → x [B, T, to·D], summing each group
    private static void merge(CudaDevice d, Shape s, DeviceBuffer y, DeviceBuffer x, int to) {
        long n = (long) s.batch() * s.tokens() * to * s.headDim();
        d.launch("heads_merge_bf16", d.gridFor(n, GpuKernels.BLOCK), GpuKernels.BLOCK, y, x, s.batch(), s.tokens(), s.heads(), to,
                s.headDim());
    }

    private static long pad(DeviceBuffer keyPadding) {
        return keyPadding == null ? 0L : keyPadding.address();
    }
}
