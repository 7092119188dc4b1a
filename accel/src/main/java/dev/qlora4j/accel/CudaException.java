package dev.qlora4j.accel;

/** A CUDA, NVRTC or cuBLAS call failed; the message names the call and the library's error name. */
public class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }
}
