package dev.qlora4j.accel;

/** A collective between the ranks' GPUs that did not complete within the run's ddp_timeout (the communicator is aborted). */
public final class CollectiveTimeoutException extends CudaException {
    public CollectiveTimeoutException(String message) {
        super(message);
    }
}
