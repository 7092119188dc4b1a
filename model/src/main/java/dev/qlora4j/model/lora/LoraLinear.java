package dev.qlora4j.model.lora;

import dev.qlora4j.model.nn.Linear;
import dev.qlora4j.tensor.Dropout;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.MatMul;
import dev.qlora4j.tensor.Tensor;

import java.util.List;

/**
 * A LoRA-adapted projection, PEFT's {@code lora.Linear}: {@code y = base(x) + scale·dropout(x)·Aᵀ·Bᵀ}
 * with A [r, in] and B [out, r] trainable and the base frozen (it gets no gradient and keeps
 * nothing for one). scale = α/r, or α/√r with rsLoRA.
 */
public final class LoraLinear implements Linear {
    private final Linear base;
    private final Tensor a, b;
    private final float scale, dropout;
    private final Generator dropoutRng;
    private boolean training = true;

    /**
     * @param a          lora_A [r, in], trainable
     * @param b          lora_B [out, r], trainable
     * @param dropout    lora_dropout probability (applied to the adapter's input only, in training)
     * @param dropoutRng the generator dropout masks come from (null when dropout is 0)
     */
    public LoraLinear(Linear base, Tensor a, Tensor b, float scale, float dropout, Generator dropoutRng) {
        if (a.rank() != 2 || b.rank() != 2 || a.size(1) != base.inFeatures() || b.size(0) != base.outFeatures() || a.size(0) != b.size(1))
            throw new IllegalArgumentException("LoRA A " + java.util.Arrays.toString(a.shape()) + " and B "
                    + java.util.Arrays.toString(b.shape()) + " do not fit a " + base.inFeatures() + " → " + base.outFeatures() + " layer");
        if (dropout > 0 && dropoutRng == null) throw new IllegalArgumentException("lora dropout needs a generator");
        this.base = base;
        this.a = a;
        this.b = b;
        this.scale = scale;
        this.dropout = dropout;
        this.dropoutRng = dropoutRng;
    }

    public Linear base() {
        return base;
    }

    public Tensor loraA() {
        return a;
    }

    public Tensor loraB() {
        return b;
    }

    /** lora_dropout: the probability of zeroing an element of the adapter's input while training. */
    public float dropout() {
        return dropout;
    }

    public boolean training() {
        return training;
    }

    public float scale() {
        return scale;
    }

    public int rank() {
        return a.size(0);
    }

    /** Dropout applies only while training. */
    public void setTraining(boolean training) {
        this.training = training;
    }

    // x [.., in] → [.., out]
    @Override
    public Tensor forward(Tensor x) {
        Tensor y = base.forward(x);
        Tensor in = dropout > 0 ? Dropout.apply(x, dropout, dropoutRng, training) : x;
        // [.., in]·Aᵀ → [.., r], ·Bᵀ → [.., out]: two thin GEMMs, never the [out, in] product B·A
        Tensor delta = MatMul.linear(MatMul.linear(in, a, null), b, null);
        return y.add(delta.mul(scale));
    }

    @Override
    public int inFeatures() {
        return base.inFeatures();
    }

    @Override
    public int outFeatures() {
        return base.outFeatures();
    }

    @Override
    public List<Tensor> trainableParameters() {
        return List.of(a, b);
    }
}
