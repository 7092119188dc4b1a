package dev.qlora4j.train.dist;

/** A failure of the processes' cooperation (MPI, NCCL, a peer that stopped answering); the message is one line. */
public class DistributedException extends RuntimeException {
    public DistributedException(String message) {
        super(message);
    }

    /** A collective that did not complete within the run's ddp_timeout. */
    public static final class Timeout extends DistributedException {
        public Timeout(String message) {
            super(message);
        }
    }
}
