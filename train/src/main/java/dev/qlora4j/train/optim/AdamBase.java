package dev.qlora4j.train.optim;

import dev.qlora4j.tensor.Tensor;

import java.util.List;

/**
 * What the Adam variants share: the parameters (dense F32, checked), the hyper-parameters and
 * the step count that drives bias correction.
 */
abstract sealed class AdamBase implements Optimizer permits AdamW, AdamW8bit {
    protected final List<Tensor> params;
    protected final float beta1, beta2, eps, weightDecay;
    protected int step;

    AdamBase(String name, List<Tensor> params, float beta1, float beta2, float eps, float weightDecay) {
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Tensor p : this.params)
            if (!p.isDenseF32()) throw new IllegalArgumentException(name + " parameter must be dense F32: " + p);
    }

    @Override
    public final void zeroGrad() {
        for (Tensor p : params) p.zeroGrad();
    }

    @Override
    public final int stepCount() {
        return step;
    }
}
