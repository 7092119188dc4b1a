package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.DType;

import java.util.Arrays;

/**
 * One tensor's header entry: its element type, shape and byte range {@code [begin, end)} relative to
 * the start of the data section. A validated entry always satisfies
 * {@code end - begin == numel · bits / 8}.
 */
public record TensorInfo(String name, SafetensorsDtype fileDtype, int[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    /** The engine type of the data, or null when the engine cannot hold it (see {@link #supported()}). */
    public DType dtype() {
        return fileDtype.engineType();
    }

    /** Whether {@code tensor(name)} can view this entry (its dtype has an engine type). */
    public boolean supported() {
        return fileDtype.engineType() != null;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && fileDtype == t.fileDtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + fileDtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ": " + fileDtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
