package dev.qlora4j.model.nn;

import dev.qlora4j.tensor.Tensor;

import java.util.List;

/**
 * A projection {@code x·Wᵀ (+ b)} of the decoder. The base layer is {@link DenseLinear}; LoRA
 * adapters and 4-bit weights plug in by implementing this and taking the base's place in its
 * {@link DecoderLayer}.
 */
public interface Linear {
    // x [.., in] → [.., out]
    Tensor forward(Tensor x);

    int inFeatures();

    int outFeatures();

    /** The tensors of this module that receive gradients (none for a frozen base). */
    List<Tensor> trainableParameters();
}
