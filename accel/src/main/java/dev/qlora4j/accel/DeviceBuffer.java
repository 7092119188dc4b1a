package dev.qlora4j.accel;

/** A block of device memory: its device address and the bytes asked for (the block may be larger). */
public record DeviceBuffer(long address, long bytes) {
    /** The address {@code offset} bytes in, for a kernel argument or a copy. */
    public long at(long offset) {
        if (offset < 0 || offset > bytes) throw new IndexOutOfBoundsException(offset + " in a buffer of " + bytes + " bytes");
        return address + offset;
    }

    /** {@code bytes} bytes from {@code offset}: a view, not separately allocated or freed. */
    public DeviceBuffer slice(long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset + bytes > this.bytes)
            throw new IndexOutOfBoundsException(bytes + " bytes at " + offset + " in a buffer of " + this.bytes);
        return new DeviceBuffer(address + offset, bytes);
    }
}
