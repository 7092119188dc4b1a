package dev.qlora4j.model.nn;

import dev.qlora4j.tensor.Tensor;

/**
 * Where {@link Transformer} takes its weights from, by Hugging Face tensor name: a checkpoint
 * ({@link WeightLoader}) or tensors supplied in memory ({@link Transformer#create}).
 */
interface Weights {
    /** A weight matrix [rows, cols]. */
    Tensor matrix(String name, int rows, int cols);

    /** A vector (norm weight, bias) [length] as an F32 array. */
    Tensor vector(String name, int length);

    /** The projection {@code module} with weight [out, in] (and bias [out]): dense unless the source says otherwise. */
    default Linear linear(String module, int out, int in, boolean withBias) {
        return new DenseLinear(matrix(module + ".weight", out, in), withBias ? vector(module + ".bias", out) : null);
    }
}
