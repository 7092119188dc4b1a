package dev.qlora4j.train.dist;

/**
 * The processes a training run is spread over: one (the default; every call is then a no-op) or
 * the ranks of an MPI job. Collectives are called by every rank in the same order, from the
 * thread that runs the training loop; each gives up after the run's ddp_timeout with a
 * {@link DistributedException.Timeout}.
 */
public interface World extends AutoCloseable {
    int rank();

    int size();

    /** This rank's index among the ranks on its machine (its GPU with device cuda). */
    int localRank();

    default boolean distributed() {
        return size() > 1;
    }

    /** Rank 0: the one that writes files and talks to the user. */
    default boolean isMain() {
        return rank() == 0;
    }

    /** "rank 1 of 4", the prefix of a rank's error lines. */
    default String label() {
        return "rank " + rank() + " of " + size();
    }

    /** Collectives give up after this many seconds (HF's ddp_timeout). */
    void timeoutSeconds(int seconds);

    /** The current collective timeout. */
    long timeoutNanos();

    /**
     * How many ranks report a failure (each says whether it {@code failed}): an all-gather of a
     * byte, the point where ranks agree before a step that needs all of them.
     */
    default int failures(boolean failed, String what) {
        int n = 0;
        for (byte[] b : allGather(new byte[]{(byte) (failed ? 1 : 0)}, what)) n += b[0];
        return n;
    }

    /** values[i] = the sum over ranks of values[i], in place. */
    void allReduceSum(float[] values, String what);

    void allReduceSum(double[] values, String what);

    /** Every rank's {@code mine} (all of one length), in rank order. */
    byte[][] allGather(byte[] mine, String what);

    /** Rank 0's bytes on every rank (the others' argument is ignored). */
    byte[] broadcast(byte[] fromRoot, String what);

    /** Ends every rank of the job with this exit status (a single process just exits). */
    void abort(int status);

    /** "single process", or the MPI library and its ABI. */
    String describe();

    @Override
    void close();

    /** A world of one. */
    static World single() {
        return Single.INSTANCE;
    }

    /**
     * The job this process was launched into (see {@link Launch#fromEnvironment}), with MPI
     * initialized from {@code mpiLibrary} ({@code QLORA4J_MPI_LIB}; null: the launcher's kind).
     */
    static World start(Launch launch, String mpiLibrary) {
        return MpiWorld.start(launch, mpiLibrary);
    }

    final class Single implements World {
        static final Single INSTANCE = new Single();

        private Single() {}

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public int localRank() {
            return 0;
        }

        @Override
        public void timeoutSeconds(int seconds) {}

        @Override
        public long timeoutNanos() {
            return Long.MAX_VALUE;
        }

        @Override
        public void allReduceSum(float[] values, String what) {}

        @Override
        public void allReduceSum(double[] values, String what) {}

        @Override
        public byte[][] allGather(byte[] mine, String what) {
            return new byte[][]{mine.clone()};
        }

        @Override
        public byte[] broadcast(byte[] fromRoot, String what) {
            return fromRoot.clone();
        }

        @Override
        public void abort(int status) {
            System.exit(status);
        }

        @Override
        public String describe() {
            return "single process";
        }

        @Override
        public void close() {}
    }
}
