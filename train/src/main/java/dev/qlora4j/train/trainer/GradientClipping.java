package dev.qlora4j.train.trainer;

import dev.qlora4j.tensor.Tensor;

import java.util.List;

/** torch.nn.utils.clip_grad_norm_: the global L2 norm of all gradients, and scaling them down to max_norm. */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * The global norm before clipping (what HF logs as grad_norm); when it exceeds
     * {@code maxNorm} (> 0), every gradient is multiplied by maxNorm / (norm + 1e-6), as torch does.
     */
    public static double clip(List<Tensor> params, double maxNorm) {
        // torch: the norm of the per-tensor norms, each in fp32; accumulate in double here
        double sum = 0;
        for (Tensor p : params) {
            if (p.grad() == null) continue;
            Tensor g = p.grad();
            float[] a = g.array();
            int o = g.arrayOffset(), n = Math.toIntExact(g.numel());
            for (int i = 0; i < n; i++) sum += (double) a[o + i] * a[o + i];
        }
        double norm = Math.sqrt(sum);
        if (maxNorm > 0) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                float c = (float) coef;
                for (Tensor p : params) {
                    if (p.grad() == null) continue;
                    float[] g = p.grad().array();
                    int o = p.grad().arrayOffset(), n = Math.toIntExact(p.grad().numel());
                    for (int i = 0; i < n; i++) g[o + i] *= c;
                }
            }
        }
        return norm;
    }
}
