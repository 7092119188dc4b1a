package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.DType;

/**
 * Every element type a safetensors header may name, declared in the reference implementation's
 * order (huggingface/safetensors {@code Dtype}, "increasing alignment"). The reference writer lays
 * tensors out by this order, highest first, so the ordinal is part of the file format. Types the
 * engine cannot hold (FP8, FP4/FP6, 16/32/64-bit unsigned, complex) are still recognised, so a
 * file holding them can be opened and inspected; only turning them into a {@code Tensor} fails.
 */
public enum SafetensorsDtype {
    BOOL(8, DType.BOOL), F4(4, null), F6_E2M3(6, null), F6_E3M2(6, null), U8(8, DType.U8), I8(8, DType.I8),
    F8_E5M2(8, null), F8_E4M3(8, null), F8_E8M0(8, null), F8_E4M3FNUZ(8, null), F8_E5M2FNUZ(8, null),
    I16(16, null), U16(16, null), F16(16, DType.F16), BF16(16, DType.BF16), I32(32, DType.I32), U32(32, null),
    F32(32, DType.F32), C64(64, null), F64(64, DType.F64), I64(64, DType.I64), U64(64, null);

    private final int bits;
    private final DType engineType;

    SafetensorsDtype(int bits, DType engineType) {
        this.bits = bits;
        this.engineType = engineType;
    }

    /** Bits per element (4 and 6 for the packed micro-scaling float formats). */
    public int bits() {
        return bits;
    }

    /** The engine's type for this dtype, or null when the engine has no such type. */
    public DType engineType() {
        return engineType;
    }

    /** The dtype a header string names, or null for a name that is not a safetensors dtype. */
    public static SafetensorsDtype fromName(String name) {
        for (SafetensorsDtype t : values()) if (t.name().equals(name)) return t;
        return null;
    }

    /** The file dtype of an engine type (the names coincide). */
    public static SafetensorsDtype of(DType type) {
        return valueOf(type.name());
    }
}
