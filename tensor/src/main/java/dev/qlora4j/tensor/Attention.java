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
     */
    public record Options(float scale, boolean causal, int slidingWindow, float softcap, Tensor keyPadding, int queryOffset) {
        public static Options causal(float scale) {
            return new Options(scale, true, 0, 0f, null, -1);
        }

        public Options withPadding(Tensor mask) {
            return new Options(scale, causal, slidingWindow, softcap, mask, queryOffset);
        }

        public Options withSlidingWindow(int window) {
            return new Options(scale, causal, window, softcap, keyPadding, queryOffset);
        }

        public Options withSoftcap(float cap) {
            return new Options(scale, causal, slidingWindow, cap, keyPadding, queryOffset);
        }

        public Options withQueryOffset(int offset) {
            return new Options(scale, causal, slidingWindow, softcap, keyPadding, offset);
        }
    }

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
        int offset = o.queryOffset() < 0 ? s - t : o.queryOffset();
        boolean[] visible = visibility(o, b, t, s, offset);
        Tensor qd = dense(q), kd = dense(k), vd = dense(v);
        float[] qa = qd.array(), ka = kd.array(), va = vd.array();
        int qo = qd.arrayOffset(), ko = kd.arrayOffset(), vo = vd.arrayOffset();
        float[] probs = new float[b * hq * t * s];
        float[] capped = o.softcap() > 0 ? new float[b * hq * t * s] : null;
        Tensor out = Tensor.zeros(b, hq, t, dv);
        float[] oa = out.array();
        Parallel.range(b * hq, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int bi = bh / hq, kvh = bi * hkv + (bh % hq) / group;
                int pOff = bh * t * s;
                // scores [T, S] = q [T, D] · k [S, D]ᵀ · scale
                Gemm.sgemm(false, true, t, s, d, o.scale(), qa, qo + bh * t * d, d, ka, ko + kvh * s * d, d,
                        0f, probs, pOff, s);
                if (capped != null) {
                    Activations.forward(Activations.Fn.SOFTCAP, o.softcap(), probs, pOff, capped, pOff, t * s);
                    System.arraycopy(capped, pOff, probs, pOff, t * s);
                }
                for (int i = 0; i < t; i++) {
                    int row = pOff + i * s, mrow = (bi * t + i) * s;
                    for (int j = 0; j < s; j++) if (!visible[mrow + j]) probs[row + j] = Float.NEGATIVE_INFINITY;
                    Softmax.softmaxRow(probs, row, probs, row, s);
                }
                // out [T, Dv] = P [T, S] · v [S, Dv]
                Gemm.sgemm(false, false, t, dv, s, 1f, probs, pOff, s, va, vo + kvh * s * dv, dv, 0f, oa, bh * t * dv, dv);
            }
        });
        return Autograd.record(out, "sdpa", (g, needs) -> {
            Tensor gd = dense(g);
            float[] ga = gd.array();
            int go = gd.arrayOffset();
            Tensor dq = Tensor.zeros(q.shape), dk = Tensor.zeros(k.shape), dvT = Tensor.zeros(v.shape);
            float[] dqa = dq.array(), dka = dk.array(), dva = dvT.array();
            // one task per key/value head, so the heads of a group add into dk/dv without races
            Parallel.range(b * hkv, 1, (from, to) -> {
                float[] dp = new float[t * s];
                for (int bk = from; bk < to; bk++) {
                    int bi = bk / hkv, kh = bk % hkv;
                    for (int gq = 0; gq < group; gq++) {
                        int bh = bi * hq + kh * group + gq, pOff = bh * t * s;
                        // dV [S, Dv] += Pᵀ · dO
                        Gemm.sgemm(true, false, s, dv, t, 1f, probs, pOff, s, ga, go + bh * t * dv, dv, 1f, dva, bk * s * dv, dv);
                        // dP [T, S] = dO [T, Dv] · V [S, Dv]ᵀ
                        Gemm.sgemm(false, true, t, s, dv, 1f, ga, go + bh * t * dv, dv, va, vo + bk * s * dv, dv, 0f, dp, 0, s);
                        // dS = P ⊙ (dP − Σ_j dP⊙P), then through the soft-cap
                        for (int i = 0; i < t; i++) {
                            int row = pOff + i * s;
                            float dot = VectorMath.dot(dp, i * s, probs, row, s);
                            VectorMath.affine(dp, i * s, 1f, -dot, dp, i * s, s);
                            VectorMath.binary(VectorMath.BinOp.MUL, dp, i * s, 1, probs, row, 1, dp, i * s, s);
                            if (capped != null)
                                Activations.backward(Activations.Fn.SOFTCAP, o.softcap(), null, 0, capped, row, dp, i * s, dp, i * s, s);
                        }
                        // dQ [T, D] = dS · K · scale;  dK [S, D] += dSᵀ · Q · scale
                        Gemm.sgemm(false, false, t, d, s, o.scale(), dp, 0, s, ka, ko + bk * s * d, d, 0f, dqa, bh * t * d, d);
                        Gemm.sgemm(true, false, s, d, t, o.scale(), dp, 0, s, qa, qo + bh * t * d, d, 1f, dka, bk * s * d, d);
                    }
                }
            });
            return new Tensor[]{dq, dk, dvT};
        }, q, k, v);
    }

    /** visible[b][i][j]: whether query i of row b may look at key j. */
    private static boolean[] visibility(Options o, int b, int t, int s, int offset) {
        int[] pad = null;
        if (o.keyPadding() != null) {
            Tensor m = o.keyPadding();
            if (m.rank() != 2 || m.shape[0] != b || m.shape[1] != s)
                throw new IllegalArgumentException("key padding mask " + Shapes.str(m.shape) + " for batch " + b + " and " + s + " keys");
            pad = m.toIntArray();
        }
        boolean[] vis = new boolean[b * t * s];
        Arrays.fill(vis, true);
        for (int bi = 0; bi < b; bi++)
            for (int i = 0; i < t; i++)
                for (int j = 0; j < s; j++) {
                    int qpos = i + offset;
                    boolean ok = (pad == null || pad[bi * s + j] != 0)
                            && (!o.causal() || j <= qpos)
                            && (o.slidingWindow() <= 0 || qpos - j < o.slidingWindow());
                    vis[(bi * t + i) * s + j] = ok;
                }
        return vis;
    }

    private static Tensor dense(Tensor x) {
        return Arith.floatStorage(x).contiguous();
    }
}
