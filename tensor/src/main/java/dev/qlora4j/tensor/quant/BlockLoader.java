package dev.qlora4j.tensor.quant;

import dev.qlora4j.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads a run of a contiguous F32, BF16 or F16 tensor (array-backed or memory-mapped) into a
 * float buffer, vectorized for F32 and BF16: quantizing a model's weights reads every element once,
 * and going through the generic element accessors cost more than the quantization itself.
 */
final class BlockLoader {
    private BlockLoader() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    private static final int L = S.length();

    /** dst[0, count) = elements [from, from + count) of the contiguous tensor t, as floats. */
    static void load(Tensor t, long from, int count, float[] dst) {
        MemorySegment seg = t.segment();
        long e = t.offset() + from;
        int i = 0;
        switch (t.dtype()) {
            case F32 -> {
                for (; i + L <= count; i += L)
                    FloatVector.fromMemorySegment(S, seg, (e + i) * 4, ByteOrder.LITTLE_ENDIAN).intoArray(dst, i);
                for (; i < count; i++) dst[i] = seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, e + i);
            }
            case BF16 -> {
                for (; i + L <= count; i += L) {
                    ShortVector s = ShortVector.fromMemorySegment(SHORTS, seg, (e + i) * 2, ByteOrder.LITTLE_ENDIAN);
                    ((IntVector) s.convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats().intoArray(dst, i);
                }
                for (; i < count; i++) dst[i] = Float.intBitsToFloat((seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, e + i) & 0xffff) << 16);
            }
            case F16 -> {
                for (; i < count; i++) dst[i] = Float.float16ToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, e + i));
            }
            default -> throw new IllegalArgumentException("not a float weight: " + t.dtype());
        }
    }
}
