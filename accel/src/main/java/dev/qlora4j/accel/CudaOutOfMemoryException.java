package dev.qlora4j.accel;

/** The device has no room for an allocation, even after the allocator gave its cache back. */
public final class CudaOutOfMemoryException extends CudaException {
    public CudaOutOfMemoryException(String message) {
        super(message);
    }
}
