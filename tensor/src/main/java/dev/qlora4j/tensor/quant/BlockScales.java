package dev.qlora4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The per-block absmax of a 4-bit weight, as stored: float32 values, or (double quantization) 8-bit
 * codes of {@code absmax - offset} in a dynamic map, scaled per nested block.
 */
public sealed interface BlockScales permits BlockScales.Plain, BlockScales.Nested {
    /** The absmax of 4-bit block {@code block}, computed exactly as bitsandbytes dequantizes it. */
    float absmax(int block);

    /** Number of 4-bit blocks. */
    int count();

    /** Bytes these scales take in a checkpoint (without the code tables). */
    long storageBytes();

    /** @param values {@code count} little-endian float32 values */
    record Plain(MemorySegment values, int count) implements BlockScales {
        @Override
        public float absmax(int block) {
            return values.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, block);
        }

        @Override
        public long storageBytes() {
            return 4L * count;
        }
    }

    /**
     * @param codes     {@code count} bytes: the 8-bit code of each block's absmax
     * @param map       the 256-entry code table (the file's nested_quant_map, which bitsandbytes uses)
     * @param nested    the absmax of each nested block of {@code blocksize} codes
     * @param offset    added back after scaling
     */
    record Nested(MemorySegment codes, int count, float[] map, float[] nested, int blocksize, float offset) implements BlockScales {
        @Override
        public float absmax(int block) {
            // two float32 ops as torch runs them (dequantize_blockwise, then += offset): no fused multiply-add
            float scaled = map[codes.get(ValueLayout.JAVA_BYTE, block) & 0xff] * nested[block / blocksize];
            return scaled + offset;
        }

        @Override
        public long storageBytes() {
            return count + 4L * nested.length;
        }
    }
}
