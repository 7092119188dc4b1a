package dev.qlora4j.accel;

/** A block of device memory: its device address and the bytes asked for (the block may be larger). */
public record DeviceBuffer(long address, long bytes) {
    /** The address {@code offset} bytes in, for a kernel argument or a copy. */
    public long at(long offset) {
        if (offset < 0 || offset > bytes) throw new IndexOutOfBoundsException(offset + " in a buffer of " + bytes + " bytes");
        return address + offset;
    }
}
