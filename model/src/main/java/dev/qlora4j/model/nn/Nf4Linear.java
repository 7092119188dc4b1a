package dev.qlora4j.model.nn;

import dev.qlora4j.tensor.Nf4Matmul;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.quant.Nf4Weight;

import java.util.ArrayList;
import java.util.List;

/**
 * A frozen 4-bit projection (bitsandbytes' Linear4bit): an NF4 weight [out, in], dequantized panel
 * by panel inside the GEMM, plus an optional bias [out]. The base of QLoRA: adapters wrap it, the
 * weight itself never trains.
 */
public record Nf4Linear(Nf4Weight weight, Tensor bias) implements Linear {
    @Override
    public Tensor forward(Tensor x) {
        return Nf4Matmul.linear(x, weight, bias);
    }

    @Override
    public int inFeatures() {
        return weight.cols();
    }

    @Override
    public int outFeatures() {
        return weight.rows();
    }

    @Override
    public List<Tensor> trainableParameters() {
        List<Tensor> p = new ArrayList<>(1);
        if (bias != null && bias.requiresGrad()) p.add(bias);
        return p;
    }
}
