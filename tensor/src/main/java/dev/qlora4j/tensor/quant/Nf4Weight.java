package dev.qlora4j.tensor.quant;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Precision;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A weight matrix [rows, cols] quantized to NF4 the bitsandbytes way: the row-major elements in
 * blocks of {@code blocksize}, each element a 4-bit index into the NF4 code book, two per byte
 * (first element in the high nibble), each block scaled by its absmax. Element i dequantizes to
 * {@code NF4[code(i)] · absmax(i / blocksize)} in float32, rounded to {@code dtype} (the dtype the
 * weight had), as {@code dequantize_4bit} returns it.
 *
 * <p>The packed codes and the scales may be views of a memory-mapped checkpoint.
 *
 * @param packed {@code (rows·cols + 1) / 2} bytes
 * @param dtype  F32, BF16 or F16
 */
public record Nf4Weight(int rows, int cols, int blocksize, DType dtype, MemorySegment packed, BlockScales scales) {
    public Nf4Weight {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("shape [" + rows + ", " + cols + "]");
        if (!QuantState.BLOCKSIZES.contains(blocksize)) throw new IllegalArgumentException("blocksize " + blocksize);
        QuantState.torchName(dtype);
        long n = (long) rows * cols;
        if (packed.byteSize() != (n + 1) / 2)
            throw new IllegalArgumentException(packed.byteSize() + " packed bytes for " + n + " values");
        if (scales.count() != blocks(n, blocksize))
            throw new IllegalArgumentException(scales.count() + " scales for " + blocks(n, blocksize) + " blocks");
    }

    static int blocks(long n, int blocksize) {
        return Math.toIntExact((n + blocksize - 1) / blocksize);
    }

    public long numel() {
        return (long) rows * cols;
    }

    public int blocks() {
        return scales.count();
    }

    /** The 4-bit code of element i (row-major). */
    public int code(long i) {
        int b = packed.get(ValueLayout.JAVA_BYTE, i >> 1);
        return (i & 1) == 0 ? (b >> 4) & 15 : b & 15;
    }

    /** Element i as dequantize_4bit returns it (widened exactly to float). */
    public float value(long i) {
        return roundToDtype(Nf4.CODE[code(i)] * scales.absmax((int) (i / blocksize)));
    }

    /** A float32 rounded to this weight's dtype, as torch's {@code .to(dtype)} does. */
    public float roundToDtype(float v) {
        return switch (dtype) {
            case BF16 -> Precision.roundToBf16(v);
            case F16 -> Precision.f16ToFloat(Precision.floatToF16(v));
            default -> v;
        };
    }

    public boolean doubleQuantized() {
        return scales instanceof BlockScales.Nested;
    }

    /** The JSON-side quant state bitsandbytes stores with this weight. */
    public QuantState quantState() {
        QuantState.Nested nested = scales instanceof BlockScales.Nested n ? new QuantState.Nested(n.blocksize(), n.offset()) : null;
        return new QuantState("nf4", blocksize, dtype, new int[]{rows, cols}, nested);
    }

    /** Bytes of the packed codes and scales (what the weight occupies, without the small code tables). */
    public long storageBytes() {
        return packed.byteSize() + scales.storageBytes();
    }
}
