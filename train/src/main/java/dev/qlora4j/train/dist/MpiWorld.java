package dev.qlora4j.train.dist;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The ranks of an MPI job (MPI_COMM_WORLD), through {@link Mpi}. Buffers are native copies, reused between calls. */
final class MpiWorld implements World {
    private final Mpi mpi;
    private final Launch launch;
    private final int rank, size;
    private long timeoutNanos = TimeUnit.SECONDS.toNanos(1800);
    private final Arena arena = Arena.ofShared();
    private MemorySegment send = MemorySegment.NULL, recv = MemorySegment.NULL;

    private MpiWorld(Mpi mpi, Launch launch) {
        this.mpi = mpi;
        this.launch = launch;
        this.rank = mpi.rank();
        this.size = mpi.size();
        if (rank != launch.rank() || size != launch.size())
            throw new DistributedException(launch.launcher() + " set rank " + launch.rank() + " of " + launch.size() + " but "
                    + mpi.library() + " reports rank " + rank + " of " + size + " (is it the MPI of the launcher?)");
    }

    static MpiWorld start(Launch launch, String library) {
        Mpi mpi = Mpi.open(launch, library);
        mpi.init();
        return new MpiWorld(mpi, launch);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int localRank() {
        return launch.localRank();
    }

    @Override
    public long timeoutNanos() {
        return timeoutNanos;
    }

    @Override
    public void timeoutSeconds(int seconds) {
        timeoutNanos = TimeUnit.SECONDS.toNanos(seconds);
    }

    private void ensure(long bytes) {
        if (send.byteSize() >= bytes) return;
        long n = Math.max(bytes, 2 * send.byteSize());
        send = arena.allocate(n, 64);
        recv = arena.allocate(n, 64);
    }

    @Override
    public void allReduceSum(float[] values, String what) {
        allReduceSum(values, values.length, JAVA_FLOAT, Mpi.Type.FLOAT, what);
    }

    @Override
    public void allReduceSum(double[] values, String what) {
        allReduceSum(values, values.length, JAVA_DOUBLE, Mpi.Type.DOUBLE, what);
    }

    /** A float[] or double[] summed over the ranks in place, through the native send and receive buffers. */
    private void allReduceSum(Object array, int n, java.lang.foreign.ValueLayout layout, Mpi.Type type, String what) {
        ensure(layout.byteSize() * n);
        MemorySegment.copy(array, 0, send, layout, 0, n);
        mpi.allReduce(send, recv, n, type, Mpi.Op.SUM, timeoutNanos, what);
        MemorySegment.copy(recv, layout, 0, array, 0, n);
    }

    @Override
    public byte[][] allGather(byte[] mine, String what) {
        ensure((long) mine.length * size);
        MemorySegment.copy(mine, 0, send, JAVA_BYTE, 0, mine.length);
        mpi.allGather(send, mine.length, recv, timeoutNanos, what);
        byte[][] out = new byte[size][mine.length];
        for (int r = 0; r < size; r++) MemorySegment.copy(recv, JAVA_BYTE, (long) r * mine.length, out[r], 0, mine.length);
        return out;
    }

    @Override
    public byte[] broadcast(byte[] fromRoot, String what) {
        ensure(8);
        send.set(JAVA_LONG, 0, rank == 0 ? fromRoot.length : 0);
        mpi.broadcast(send, 8, 0, timeoutNanos, what + " (length)");
        int n = Math.toIntExact(send.get(JAVA_LONG, 0));
        ensure(Math.max(8, n));
        if (rank == 0) MemorySegment.copy(fromRoot, 0, send, JAVA_BYTE, 0, n);
        if (n > 0) mpi.broadcast(send, n, 0, timeoutNanos, what);
        byte[] out = new byte[n];
        MemorySegment.copy(send, JAVA_BYTE, 0, out, 0, n);
        return out;
    }

    @Override
    public void abort(int status) {
        System.out.flush();
        System.err.flush();
        mpi.abort(status);
        Runtime.getRuntime().halt(status);
    }

    @Override
    public String describe() {
        return size + " ranks (" + launch.launcher() + " launch, " + mpi.version() + ", " + mpi.abi() + " ABI)";
    }

    @Override
    public void close() {
        mpi.close();
    }
}
