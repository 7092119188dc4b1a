package dev.qlora4j.train.optim;

import dev.qlora4j.tensor.Tensor;

import java.util.List;

/**
 * AdamW as torch.optim.AdamW computes it (decoupled weight decay applied first, bias-corrected
 * moments, eps added to the corrected root of the second moment). Moments are fp32 and live
 * beside each parameter; parameters must be dense F32 tensors.
 */
public final class AdamW extends AdamBase {
    private final float[][] m, v;

    public AdamW(List<Tensor> params, float beta1, float beta2, float eps, float weightDecay) {
        super("AdamW", params, beta1, beta2, eps, weightDecay);
        this.m = new float[params.size()][];
        this.v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[Math.toIntExact(params.get(i).numel())];
            v[i] = new float[m[i].length];
        }
    }

    @Override
    public void step(float lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = 1 - lr * weightDecay;
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p.grad() == null) continue;
            float[] w = p.array(), g = p.grad().contiguous().toFloatArray(), mi = m[i], vi = v[i];
            int o = p.arrayOffset();
            for (int j = 0; j < mi.length; j++) {
                w[o + j] *= decay;
                mi[j] = beta1 * mi[j] + (1 - beta1) * g[j];
                vi[j] = beta2 * vi[j] + (1 - beta2) * g[j] * g[j];
                float denom = (float) Math.sqrt(vi[j]) / bc2Sqrt + eps;
                w[o + j] -= stepSize * mi[j] / denom;
            }
        }
    }

    @Override
    public java.util.Map<String, Tensor> stateDict() {
        java.util.Map<String, Tensor> sd = new java.util.LinkedHashMap<>();
        for (int i = 0; i < m.length; i++) {
            sd.put(i + ".exp_avg", Tensor.of(m[i].clone(), m[i].length));
            sd.put(i + ".exp_avg_sq", Tensor.of(v[i].clone(), v[i].length));
        }
        return sd;
    }

    @Override
    public void loadStateDict(java.util.Map<String, Tensor> state, int step) {
        for (int i = 0; i < m.length; i++) {
            OptimizerState.copy(state, i + ".exp_avg", m[i]);
            OptimizerState.copy(state, i + ".exp_avg_sq", v[i]);
        }
        this.step = step;
    }

    @Override
    public long stateBytes() {
        long n = 0;
        for (float[] a : m) n += 8L * a.length;
        return n;
    }
}
