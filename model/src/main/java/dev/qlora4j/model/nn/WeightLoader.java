package dev.qlora4j.model.nn;

import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import dev.qlora4j.tensor.io.TensorInfo;
import dev.qlora4j.tensor.quant.Nf4Quantizer;
import dev.qlora4j.tensor.quant.Nf4StateDict;
import dev.qlora4j.tensor.quant.Nf4Weight;

import java.util.Arrays;

/**
 * Takes the decoder's tensors out of a checkpoint, checking each against the shape config.json
 * implies. Frozen matrices stay views of the file's mapping when the GEMM can read them in place
 * (F32, BF16); trainable ones, and small vectors (norms, biases), become F32 arrays. A projection
 * stored as a bitsandbytes 4-bit weight, or one that quantize-on-load selects, becomes an
 * {@link Nf4Linear}.
 */
final class WeightLoader implements Weights {
    private final SafetensorsCheckpoint checkpoint;
    private final boolean trainable;
    private final QuantizationConfig quantizeOnLoad;

    WeightLoader(SafetensorsCheckpoint checkpoint, boolean trainable) {
        this(checkpoint, trainable, null);
    }

    /** @param quantizeOnLoad quantize the float projections it selects to NF4, or null */
    WeightLoader(SafetensorsCheckpoint checkpoint, boolean trainable, QuantizationConfig quantizeOnLoad) {
        this.checkpoint = checkpoint;
        this.trainable = trainable;
        this.quantizeOnLoad = quantizeOnLoad;
    }

    /**
     * The projection {@code module} (e.g. "model.layers.0.self_attn.q_proj") with weight [out, in]:
     * 4-bit when the checkpoint stores it so or quantize-on-load selects it, dense otherwise.
     */
    @Override
    public Linear linear(String module, int out, int in, boolean withBias) {
        String key = module + ".weight";
        Tensor bias = withBias ? vector(module + ".bias", out) : null;
        if (Nf4StateDict.isQuantized(checkpoint, key)) {
            if (trainable)
                throw BadInputException.at(where(key), "a 4-bit weight cannot be trained; train LoRA adapters on the frozen 4-bit model");
            Nf4Weight w = Nf4StateDict.read(checkpoint, key);
            if (w.rows() != out || w.cols() != in)
                throw BadInputException.at(where(key + Nf4StateDict.QUANT_STATE), "4-bit weight shape [" + w.rows() + ", " + w.cols()
                        + "] does not match [" + out + ", " + in + "] implied by config.json");
            return new Nf4Linear(w, bias);
        }
        if (quantizeOnLoad != null && quantizeOnLoad.quantizes(module)) {
            Tensor w = require(key, out, in);
            Nf4Weight q = Nf4Quantizer.quantize(w, quantizeOnLoad.blocksize(), quantizeOnLoad.doubleQuant(), where(key));
            w.releaseMappedPages();   // the 16-bit weight is not read again: its file pages need not stay resident
            return new Nf4Linear(q, bias);
        }
        return new DenseLinear(matrix(key, out, in), bias);
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
