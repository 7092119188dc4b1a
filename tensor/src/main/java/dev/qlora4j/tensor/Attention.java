package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Activations;
import dev.qlora4j.tensor.cpu.Gemm;
import dev.qlora4j.tensor.cpu.VectorMath;
import dev.qlora4j.tensor.cpu.Parallel;

import java.util.Arrays;

/**
 * Scaled dot-product attention with grouped-query heads, causal / sliding-window / key-padding
 * masks and optional logit soft-capping (Gemma-2). A query row whose keys are all masked gets
 * zero probabilities and so a zero output, never NaN.
 */
public final class Attention {
    private Attention() {}

    /**
     * @param scale         multiplies q·k (usually 1/√D, Gemma-2: query_pre_attn_scalar^−½)
     * @param causal        key j is visible to query i only when j ≤ i + queryOffset
     * @param slidingWindow when > 0, key j is visible only when (i + queryOffset) − j < slidingWindow
     * @param softcap       when > 0, logits become softcap·tanh(logits/softcap) before masking
     * @param keyPadding    [B, S], nonzero = real token, 0 = padding (null: no padding)
     * @param queryOffset   position of query 0 relative to key 0 (S − T for a KV cache; −1 = S − T)
     * @param packed        [B, T] position ids of packed rows (null: none): sequences lie back to back, each
     *                      numbered from 0, and a query sees only keys of its own sequence, i.e. key j is visible
     *                      to query i only when j ≥ i − position(i). Needs S = T (no cache).
     */
    public record Options(float scale, boolean causal, int slidingWindow, float softcap, Tensor keyPadding, int queryOffset,
                          Tensor packed) {
        public Options(float scale, boolean causal, int slidingWindow, float softcap, Tensor keyPadding, int queryOffset) {
            this(scale, causal, slidingWindow, softcap, keyPadding, queryOffset, null);
        }

        public static Options causal(float scale) {
            return new Options(scale, true, 0, 0f, null, -1, null);
        }

        public Options withPadding(Tensor mask) {
            return new Options(scale, causal, slidingWindow, softcap, mask, queryOffset, packed);
        }

        public Options withSlidingWindow(int window) {
            return new Options(scale, causal, window, softcap, keyPadding, queryOffset, packed);
        }

        public Options withSoftcap(float cap) {
            return new Options(scale, causal, slidingWindow, cap, keyPadding, queryOffset, packed);
        }

        public Options withQueryOffset(int offset) {
            return new Options(scale, causal, slidingWindow, softcap, keyPadding, offset, packed);
        }
    }

    /**
     * Queries are processed in blocks of this many rows; a block computes scores only for the keys
     * some row of it can see, so a causal mask skips about half of the work (3/8 with T = 256), and
     * in a packed row every key before the sequence of the block's first query is skipped.
     */
    static final int QUERY_BLOCK = 64;

    // q [B, Hq, T, D], k [B, Hkv, S, D], v [B, Hkv, S, Dv] → [B, Hq, T, Dv]
    public static Tensor sdpa(Tensor q, Tensor k, Tensor v, Options o) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
            throw new IllegalArgumentException("attention wants [B, H, T, D] tensors");
        int b = q.shape[0], hq = q.shape[1], t = q.shape[2], d = q.shape[3];
        int hkv = k.shape[1], s = k.shape[2], dv = v.shape[3];
        if (k.shape[0] != b || v.shape[0] != b || v.shape[1] != hkv || v.shape[2] != s || k.shape[3] != d || hq % hkv != 0)
            throw new IllegalArgumentException("attention shapes q" + Shapes.str(q.shape) + " k" + Shapes.str(k.shape)
                    + " v" + Shapes.str(v.shape));
        int group = hq / hkv;
        Mask mask = new Mask(o, b, t, s);
        Heads qh = Heads.of(q), kh = Heads.of(k), vh = Heads.of(v);
        // backward needs every probability (and soft-capped score) a query block computed, stored block after
        // block with rows as long as the block's visible keys; without a graph one block's worth per task will do
        boolean keep = Autograd.needsGraph(q, k, v);
        Blocks blocks = new Blocks(mask, b, hq, t);
        float[] probs = keep ? new float[blocks.total()] : null;
        float[] capped = keep && o.softcap() > 0 ? new float[blocks.total()] : null;
        // written as [B, T, Hq, Dv], viewed as [B, Hq, T, Dv]: merging the heads afterwards is free
        Tensor out = new Tensor(Tensor.zeros(b * t * hq * dv).data, DType.F32, new int[]{b, hq, t, dv},
                new long[]{(long) t * hq * dv, dv, (long) hq * dv, 1}, 0);
        Heads oh = Heads.of(out);
        Parallel.range(b * hq, 1, (from, to) -> {
            float[] pa = keep ? probs : new float[Math.min(t, QUERY_BLOCK) * s];
            for (int bh = from; bh < to; bh++) {
                int bi = bh / hq, h = bh % hq, kvh = h / group;
                int qo = qh.at(bi, h), ko = kh.at(bi, kvh), vo = vh.at(bi, kvh), oo = oh.at(bi, h);
                for (int i0 = 0; i0 < t; i0 += QUERY_BLOCK) {
                    int i1 = Math.min(t, i0 + QUERY_BLOCK), lo = mask.firstKey(bi, i0), hi = mask.endKey(i1 - 1);
                    if (hi <= lo) continue;   // every key masked: probabilities and output stay zero
                    int n = hi - lo, p0 = keep ? blocks.at(bi, h, i0 / QUERY_BLOCK) : 0;
                    // scores [rows, n] = q [rows, D] · k [n, D]ᵀ · scale
                    Gemm.sgemm(false, true, i1 - i0, n, d, o.scale(), qh.a, qo + i0 * qh.ld, qh.ld, kh.a, ko + lo * kh.ld, kh.ld,
                            0f, pa, p0, n);
                    for (int i = i0; i < i1; i++) {
                        int row = p0 + (i - i0) * n;
                        if (o.softcap() > 0) {
                            Activations.forward(Activations.Fn.SOFTCAP, o.softcap(), pa, row, pa, row, n);
                            if (capped != null) System.arraycopy(pa, row, capped, row, n);
                        }
                        mask.apply(pa, row, bi, i, lo, hi);
                        Softmax.softmaxRow(pa, row, pa, row, n);
                    }
                    // out [rows, Dv] = P [rows, n] · v [n, Dv]
                    Gemm.sgemm(false, false, i1 - i0, dv, n, 1f, pa, p0, n, vh.a, vo + lo * vh.ld, vh.ld,
                            0f, oh.a, oo + i0 * oh.ld, oh.ld);
                }
            }
        });
        return Autograd.record(out, "sdpa", (g, needs) -> {
            Heads gh = Heads.of(g);
            // gradients in their inputs' layouts, so that the views' backwards need no copies
            Tensor dq = Views.zerosLike(q), dk = Views.zerosLike(k), dvT = Views.zerosLike(v);
            Heads dqh = Heads.of(dq), dkh = Heads.of(dk), dvh = Heads.of(dvT);
            // one task per key/value head, so the heads of a group add into dk/dv without races
            Parallel.range(b * hkv, 1, (from, to) -> {
                float[] dp = new float[Math.min(t, QUERY_BLOCK) * s];
                for (int bk = from; bk < to; bk++) {
                    int bi = bk / hkv, kvh = bk % hkv;
                    int ko = kh.at(bi, kvh), vo = vh.at(bi, kvh), dko = dkh.at(bi, kvh), dvo = dvh.at(bi, kvh);
                    for (int gq = 0; gq < group; gq++) {
                        int h = kvh * group + gq;
                        int qo = qh.at(bi, h), go = gh.at(bi, h), dqo = dqh.at(bi, h);
                        for (int i0 = 0; i0 < t; i0 += QUERY_BLOCK) {
                            int i1 = Math.min(t, i0 + QUERY_BLOCK), rows = i1 - i0, lo = mask.firstKey(bi, i0), hi = mask.endKey(i1 - 1);
                            if (hi <= lo) continue;
                            int n = hi - lo, p0 = blocks.at(bi, h, i0 / QUERY_BLOCK);
                            // dV [n, Dv] += Pᵀ · dO
                            Gemm.sgemm(true, false, n, dv, rows, 1f, probs, p0, n, gh.a, go + i0 * gh.ld, gh.ld,
                                    1f, dvh.a, dvo + lo * dvh.ld, dvh.ld);
                            // dP [rows, n] = dO [rows, Dv] · V [n, Dv]ᵀ
                            Gemm.sgemm(false, true, rows, n, dv, 1f, gh.a, go + i0 * gh.ld, gh.ld, vh.a, vo + lo * vh.ld, vh.ld,
                                    0f, dp, 0, n);
                            // dS = P ⊙ (dP − Σ_j dP⊙P), then through the soft-cap
                            for (int r = 0; r < rows; r++) {
                                int row = p0 + r * n;
                                float dot = VectorMath.dot(dp, r * n, probs, row, n);
                                VectorMath.affine(dp, r * n, 1f, -dot, dp, r * n, n);
                                VectorMath.binary(VectorMath.BinOp.MUL, dp, r * n, 1, probs, row, 1, dp, r * n, n);
                                if (capped != null)
                                    Activations.backward(Activations.Fn.SOFTCAP, o.softcap(), null, 0, capped, row, dp, r * n, dp, r * n, n);
                            }
                            // dQ [rows, D] = dS · K · scale;  dK [n, D] += dSᵀ · Q · scale
                            Gemm.sgemm(false, false, rows, d, n, o.scale(), dp, 0, n, kh.a, ko + lo * kh.ld, kh.ld,
                                    0f, dqh.a, dqo + i0 * dqh.ld, dqh.ld);
                            Gemm.sgemm(true, false, n, d, rows, o.scale(), dp, 0, n, qh.a, qo + i0 * qh.ld, qh.ld,
                                    1f, dkh.a, dko + lo * dkh.ld, dkh.ld);
                        }
                    }
                }
            });
            return new Tensor[]{dq, dk, dvT};
        }, q, k, v);
    }

    /**
     * Where each query block's [rows, visible keys] probabilities lie in one array: per row b, its blocks one
     * after the other, the same layout for each head. A causal mask keeps about half of T·S, packed rows
     * only their sequences' own triangles (plus each block's overhang).
     */
    private static final class Blocks {
        private final int nb;
        /** [B·nb]: the floats of one head's blocks of row b before block k. */
        private final long[] before;
        /** [B + 1]: where row b's heads start (all heads of the rows before it); [B]: one head's floats in row b. */
        private final long[] rowBase, rowSize;

        Blocks(Mask mask, int b, int hq, int t) {
            this.nb = Math.ceilDiv(t, QUERY_BLOCK);
            before = new long[b * nb];
            rowBase = new long[b + 1];
            rowSize = new long[b];
            for (int bi = 0; bi < b; bi++) {
                long size = 0;
                for (int k = 0; k < nb; k++) {
                    int i0 = k * QUERY_BLOCK, i1 = Math.min(t, i0 + QUERY_BLOCK);
                    before[bi * nb + k] = size;
                    size += (long) (i1 - i0) * Math.max(0, mask.endKey(i1 - 1) - mask.firstKey(bi, i0));
                }
                rowSize[bi] = size;
                rowBase[bi + 1] = rowBase[bi] + size * hq;
            }
            if (rowBase[b] > Integer.MAX_VALUE - 8)
                throw new IllegalArgumentException("attention over " + t + " tokens keeps more than 2³¹ probabilities; use fewer tokens per batch");
        }

        int total() {
            return (int) rowBase[rowBase.length - 1];
        }

        /** Where block k of head h of row b starts. */
        int at(int b, int h, int k) {
            return (int) (rowBase[b] + h * rowSize[b] + before[b * nb + k]);
        }
    }

    /**
     * A [B, H, R, C] operand read in place: matrix (b, h) starts at {@code at(b, h)} of {@code a}
     * with rows {@code ld} apart. Any strides work as long as each row is contiguous (the
     * transposed [B, T, H, D] projections, a KV cache's filled prefix); other tensors are copied.
     */
    private record Heads(float[] a, int base, long sb, long sh, int ld) {
        static Heads of(Tensor x) {
            if (x.floatArray() == null || x.shape[3] > 1 && x.strides[3] != 1) x = Arith.floatStorage(x).contiguous();
            // a single row's stride is never used (and may be anything)
            int ld = x.shape[2] > 1 ? Math.toIntExact(x.strides[2]) : Math.max(1, x.shape[3]);
            return new Heads(x.floatArray(), Arith.base(x), x.strides[0], x.strides[1], ld);
        }

        int at(int b, int h) {
            return Math.toIntExact(base + b * sb + h * sh);
        }
    }

    /**
     * Which keys each query sees: key j is visible to query i (position qpos = i + offset) when
     * it is not padding, j ≤ qpos if causal, qpos − j < window if there is a window, and in a packed row
     * j ≥ the first token of query i's sequence.
     */
    private static final class Mask {
        private final boolean causal;
        private final int window, offset, s, t;
        private final int[] pad;
        /** Packed rows: [B, T], the index of the first token of each query's sequence; null otherwise. */
        private final int[] start;

        Mask(Options o, int b, int t, int s) {
            this.causal = o.causal();
            this.window = o.slidingWindow();
            this.offset = o.queryOffset() < 0 ? s - t : o.queryOffset();
            this.s = s;
            this.t = t;
            if (o.packed() != null) {
                Tensor p = o.packed();
                if (p.rank() != 2 || p.shape[0] != b || p.shape[1] != t || s != t)
                    throw new IllegalArgumentException("packed positions " + Shapes.str(p.shape) + " for batch " + b + ", " + t
                            + " queries and " + s + " keys");
                int[] pos = p.toIntArray();
                start = new int[b * t];
                for (int bi = 0; bi < b; bi++)
                    for (int i = 0; i < t; i++) {
                        int first = i - pos[bi * t + i];
                        // a sequence starts at 0 and counts up by one: anything else is not a packed row
                        if (first < 0 || first > i || i > 0 && first != i && first != start[bi * t + i - 1])
                            throw new IllegalArgumentException("packed positions of row " + bi + " are not runs of 0, 1, 2, … at token " + i);
                        start[bi * t + i] = first;
                    }
            } else {
                start = null;
            }
            if (o.keyPadding() != null) {
                Tensor m = o.keyPadding();
                if (m.rank() != 2 || m.shape[0] != b || m.shape[1] != s)
                    throw new IllegalArgumentException("key padding mask " + Shapes.str(m.shape) + " for batch " + b + " and " + s + " keys");
                pad = m.toIntArray();
            } else {
                pad = null;
            }
        }

        /** The first key query i of row b may see (ignoring padding). */
        int firstKey(int b, int i) {
            int first = window > 0 ? Math.max(0, i + offset - window + 1) : 0;
            return start == null ? first : Math.max(first, start[b * t + i]);
        }

        /** One past the last key query i may see (ignoring padding); at most firstKey(i) when none. */
        int endKey(int i) {
            return causal ? Math.max(0, Math.min(s, i + offset + 1)) : s;
        }

        /** Sets the masked scores of query i among keys [lo, hi) (row = the score of key lo) to −∞. */
        void apply(float[] scores, int row, int b, int i, int lo, int hi) {
            int first = Math.min(hi, Math.max(lo, firstKey(b, i))), end = Math.max(first, Math.min(hi, endKey(i)));
            Arrays.fill(scores, row, row + first - lo, Float.NEGATIVE_INFINITY);
            Arrays.fill(scores, row + end - lo, row + hi - lo, Float.NEGATIVE_INFINITY);
            if (pad != null)
                for (int j = first; j < end; j++) if (pad[b * s + j] == 0) scores[row + j - lo] = Float.NEGATIVE_INFINITY;
        }
    }
}
