package dev.qlora4j.train.optim;

import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.quant.DynamicMap;

import java.util.List;

/**
 * bitsandbytes' AdamW8bit ({@code adamw_8bit}, {@code paged_adamw_8bit}): the two moments are
 * stored as 8-bit codes in blocks of 256 with one fp32 absmax per block — the first moment on
 * the signed dynamic map, the second on the unsigned one — so the state takes ~2 bytes a
 * parameter instead of 8. Each step dequantizes a block, updates it in fp32, updates the
 * parameter from the fp32 moments, then requantizes with the block's new absmax. Tensors under
 * 4096 elements keep fp32 moments ({@code min_8bit_size}). The update is bitsandbytes' kernel:
 * {@code p += −lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε·√(1−β₂ᵗ))}, then {@code p *= 1 − lr·wd}
 * (decay after the step, unlike torch's AdamW); elements whose gradient is NaN or ±Inf are skipped.
 */
public final class AdamW8bit extends AdamBase {
    static final int BLOCK = 256, MIN_8BIT_SIZE = 4096;
    private static final float[] SIGNED = DynamicMap.values(), UNSIGNED = DynamicMap.unsignedValues();

    /** The moments of one parameter: 8-bit codes with block scales, or plain fp32 for small tensors. */
    private static final class State {
        final byte[] q1, q2;
        final float[] absmax1, absmax2;
        final float[] m, v;

        State(int n, int min8bitSize) {
            if (n >= min8bitSize) {
                int blocks = (n + BLOCK - 1) / BLOCK;
                q1 = new byte[n];
                q2 = new byte[n];
                java.util.Arrays.fill(q1, (byte) DynamicMap.code(0f));
                absmax1 = new float[blocks];
                absmax2 = new float[blocks];
                m = v = null;
            } else {
                q1 = q2 = null;
                absmax1 = absmax2 = null;
                m = new float[n];
                v = new float[n];
            }
        }
    }

    private final State[] states;

    public AdamW8bit(List<Tensor> params, float beta1, float beta2, float eps, float weightDecay) {
        this(params, beta1, beta2, eps, weightDecay, MIN_8BIT_SIZE);
    }

    /** @param min8bitSize tensors with fewer elements keep fp32 moments (bitsandbytes' min_8bit_size, 4096) */
    public AdamW8bit(List<Tensor> params, float beta1, float beta2, float eps, float weightDecay, int min8bitSize) {
        super("AdamW8bit", params, beta1, beta2, eps, weightDecay);
        states = new State[params.size()];
        for (int i = 0; i < params.size(); i++) states[i] = new State(Math.toIntExact(params.get(i).numel()), min8bitSize);
    }

    @Override
    public void step(float lr) {
        step++;
        float correction1 = (float) (1 - Math.pow(beta1, step)), correction2 = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float stepSize = -lr * correction2 / correction1, epsTerm = correction2 * eps, decay = 1 - lr * weightDecay;
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p.grad() == null) continue;
            float[] w = p.array(), g = p.grad().contiguous().toFloatArray();
            int off = p.arrayOffset(), n = g.length;
            State s = states[i];
            Parallel.range((n + BLOCK - 1) / BLOCK, 16, (from, to) -> {
                float[] m = new float[BLOCK], v = new float[BLOCK];
                for (int b = from; b < to; b++) {
                    int start = b * BLOCK, len = Math.min(BLOCK, n - start);
                    float max1 = 0, max2 = 0;
                    for (int j = 0; j < len; j++) {
                        int e = start + j;
                        float m0 = s.m != null ? s.m[e] : SIGNED[s.q1[e] & 0xff] * s.absmax1[b];
                        float v0 = s.v != null ? s.v[e] : UNSIGNED[s.q2[e] & 0xff] * s.absmax2[b];
                        float gj = g[e];
                        if (Float.isFinite(gj)) {
                            m0 = m0 * beta1 + (1 - beta1) * gj;
                            v0 = v0 * beta2 + (1 - beta2) * gj * gj;
                            float updated = w[off + e] + stepSize * (m0 / ((float) Math.sqrt(v0) + epsTerm));
                            w[off + e] = weightDecay > 0 ? updated * decay : updated;
                        }
                        m[j] = m0;
                        v[j] = v0;
                        max1 = Math.max(max1, Math.abs(m0));
                        max2 = Math.max(max2, Math.abs(v0));
                    }
                    if (s.m != null) {
                        System.arraycopy(m, 0, s.m, start, len);
                        System.arraycopy(v, 0, s.v, start, len);
                        continue;
                    }
                    s.absmax1[b] = max1;
                    s.absmax2[b] = max2;
                    float r1 = max1 > 0 ? 1 / max1 : 0, r2 = max2 > 0 ? 1 / max2 : 0;
                    for (int j = 0; j < len; j++) {
                        s.q1[start + j] = (byte) DynamicMap.code(m[j] * r1);
                        s.q2[start + j] = (byte) DynamicMap.unsignedCode(v[j] * r2);
                    }
                }
            });
        }
    }

    @Override
    public java.util.Map<String, Tensor> stateDict() {
        java.util.Map<String, Tensor> sd = new java.util.LinkedHashMap<>();
        for (int i = 0; i < states.length; i++) {
            State s = states[i];
            if (s.m != null) {
                sd.put(i + ".exp_avg", Tensor.of(s.m.clone(), s.m.length));
                sd.put(i + ".exp_avg_sq", Tensor.of(s.v.clone(), s.v.length));
            } else {
                sd.put(i + ".state1", OptimizerState.bytes(s.q1));
                sd.put(i + ".state2", OptimizerState.bytes(s.q2));
                sd.put(i + ".absmax1", Tensor.of(s.absmax1.clone(), s.absmax1.length));
                sd.put(i + ".absmax2", Tensor.of(s.absmax2.clone(), s.absmax2.length));
            }
        }
        return sd;
    }

    @Override
    public void loadStateDict(java.util.Map<String, Tensor> state, int step) {
        for (int i = 0; i < states.length; i++) {
            State s = states[i];
            if (s.m != null) {
                OptimizerState.copy(state, i + ".exp_avg", s.m);
                OptimizerState.copy(state, i + ".exp_avg_sq", s.v);
            } else {
                OptimizerState.copyBytes(state, i + ".state1", s.q1);
                OptimizerState.copyBytes(state, i + ".state2", s.q2);
                OptimizerState.copy(state, i + ".absmax1", s.absmax1);
                OptimizerState.copy(state, i + ".absmax2", s.absmax2);
            }
        }
        this.step = step;
    }

    @Override
    public long stateBytes() {
        long n = 0;
        for (State s : states)
            n += s.m != null ? 8L * s.m.length : 2L * s.q1.length + 8L * s.absmax1.length;
        return n;
    }
}
