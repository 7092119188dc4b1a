package dev.qlora4j.model.nn;

import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import dev.qlora4j.tensor.io.TensorInfo;

import java.util.Arrays;

/**
 * Takes the decoder's tensors out of a checkpoint, checking each against the shape config.json
 * implies. Frozen matrices stay views of the file's mapping when the GEMM can read them in place
 * (F32, BF16); trainable ones, and small vectors (norms, biases), become F32 arrays.
 */
final class WeightLoader implements Weights {
    private final SafetensorsCheckpoint checkpoint;
    private final boolean trainable;

    WeightLoader(SafetensorsCheckpoint checkpoint, boolean trainable) {
        this.checkpoint = checkpoint;
        this.trainable = trainable;
    }

    /** A weight matrix [rows, cols]: zero-copy when frozen and F32/BF16, else an F32 copy. */
    @Override
    public Tensor matrix(String name, int rows, int cols) {
        Tensor t = require(name, rows, cols);
        if (!trainable && (t.dtype() == DType.F32 || t.dtype() == DType.BF16)) return t;
        return owned(t, name);
    }

    /** A vector or small tensor (norm weight, bias) as an F32 array. */
    @Override
    public Tensor vector(String name, int length) {
        return owned(require(name, length), name);
    }

    private Tensor owned(Tensor t, String name) {
        if (!t.dtype().isFloatingPoint())
            throw BadInputException.at(where(name), "tensor has dtype " + t.dtype() + ", a floating-point weight is needed");
        Tensor f = t.to(DType.F32).contiguous();
        if (f.segment() == t.segment()) f = f.copy();   // never train in place on the file's mapping
        return trainable ? f.requiresGrad(true) : f;
    }

    private Tensor require(String name, int... shape) {
        if (!checkpoint.contains(name)) throw BadInputException.at(checkpoint.path().toString(), "missing tensor \"" + name + "\"");
        TensorInfo info = checkpoint.info(name);
        if (!Arrays.equals(info.shape(), shape))
            throw BadInputException.at(where(name), "shape " + Arrays.toString(info.shape()) + " does not match "
                    + Arrays.toString(shape) + " implied by config.json");
        if (!info.supported())
            throw BadInputException.at(where(name), "dtype " + info.fileDtype() + " is not supported for weights");
        return checkpoint.tensor(name);
    }

    private String where(String name) {
        return checkpoint.path() + ", tensor \"" + name + "\"";
    }
}
