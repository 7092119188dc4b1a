package dev.qlora4j.accel;

/**
 * No usable GPU: a library is missing (no NVIDIA driver, no CUDA toolkit libraries), or the driver
 * finds no device. The message is one line a user can act on.
 */
public final class CudaUnavailableException extends CudaException {
    public CudaUnavailableException(String message) {
        super(message);
    }
}
