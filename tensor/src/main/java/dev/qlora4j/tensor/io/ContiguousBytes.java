package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Gathers a strided tensor into a fresh row-major copy by moving raw element bytes. Unlike the
 * engine's {@code contiguous()} (which converts through float for floating types), this keeps every
 * bit: F64 values, NaN payloads and I64 values above 2^24 come out exactly as they were stored.
 */
final class ContiguousBytes {
    private ContiguousBytes() {}

    static Tensor copy(Tensor t) {
        Tensor out = Tensor.zeros(t.dtype(), t.shape());
        long n = t.numel();
        if (n == 0) return out;
        int[] shape = t.shape();
        long[] strides = t.strides();
        int rank = shape.length;
        long bytes = t.dtype().byteSize();
        MemorySegment src = t.segment(), dst = out.segment();
        int inner = shape[rank - 1];
        long innerStride = strides[rank - 1];
        int[] idx = new int[rank];
        long written = 0;
        for (long row = 0, rows = n / inner; row < rows; row++) {
            long from = t.offset();
            for (int d = 0; d < rank - 1; d++) from += idx[d] * strides[d];
            if (innerStride == 1) {
                MemorySegment.copy(src, from * bytes, dst, written * bytes, inner * bytes);
            } else {
                for (int j = 0; j < inner; j++)
                    MemorySegment.copy(src, (from + j * innerStride) * bytes, dst, (written + j) * bytes, bytes);
            }
            written += inner;
            for (int d = rank - 2; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return out;
    }
}
