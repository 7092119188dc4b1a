package dev.qlora4j.tensor;

/**
 * Element types a {@link Tensor} can hold. Arithmetic runs in F32; the other types are storage
 * formats (weights in BF16/F16, token ids in I32/I64, masks in BOOL, packed NF4 nibbles in U8).
 * Names match the safetensors dtype strings.
 */
public enum DType {
    F32(4, true), BF16(2, true), F16(2, true), F64(8, true),
    I32(4, false), I64(8, false), I8(1, false), U8(1, false), BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floating;
    }

    /** The safetensors name of this type, or null when the string names no type we hold. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) if (t.name().equals(name)) return t;
        return null;
    }
}
