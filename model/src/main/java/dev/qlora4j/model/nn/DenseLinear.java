package dev.qlora4j.model.nn;

import dev.qlora4j.tensor.MatMul;
import dev.qlora4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain weight [out, in] (+ bias [out]). Frozen weights may stay in the checkpoint's F32 or
 * BF16 mapping (the GEMM reads them in place); trainable ones are F32 arrays.
 */
public record DenseLinear(Tensor weight, Tensor bias) implements Linear {
    @Override
    public Tensor forward(Tensor x) {
        return MatMul.linear(x, weight, bias);
    }

    @Override
    public int inFeatures() {
        return weight.size(1);
    }

    @Override
    public int outFeatures() {
        return weight.size(0);
    }

    @Override
    public List<Tensor> trainableParameters() {
        List<Tensor> p = new ArrayList<>(2);
        if (weight.requiresGrad()) p.add(weight);
        if (bias != null && bias.requiresGrad()) p.add(bias);
        return p;
    }
}
