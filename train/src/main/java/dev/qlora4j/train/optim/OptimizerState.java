package dev.qlora4j.train.optim;

import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;

/** Moving optimizer state between arrays and the named tensors of a checkpoint. */
final class OptimizerState {
    private OptimizerState() {}

    static Tensor bytes(byte[] b) {
        Tensor t = Tensor.zeros(DType.U8, b.length);
        MemorySegment.copy(b, 0, t.segment(), ValueLayout.JAVA_BYTE, t.offset(), b.length);
        return t;
    }

    static void copy(Map<String, Tensor> state, String key, float[] into) {
        Tensor t = require(state, key, into.length, DType.F32);
        System.arraycopy(t.toFloatArray(), 0, into, 0, into.length);
    }

    static void copyBytes(Map<String, Tensor> state, String key, byte[] into) {
        Tensor t = require(state, key, into.length, DType.U8);
        MemorySegment.copy(t.segment(), ValueLayout.JAVA_BYTE, t.offset(), into, 0, into.length);
    }

    private static Tensor require(Map<String, Tensor> state, String key, int length, DType dtype) {
        Tensor t = state.get(key);
        if (t == null) throw new BadInputException("optimizer state has no \"" + key + "\" (the checkpoint was written for other parameters)");
        if (t.numel() != length || t.dtype() != dtype)
            throw new BadInputException("optimizer state \"" + key + "\" has " + t.numel() + " " + t.dtype() + " values, "
                    + length + " " + dtype + " expected (the checkpoint was written for other parameters)");
        return t.contiguous();
    }
}
