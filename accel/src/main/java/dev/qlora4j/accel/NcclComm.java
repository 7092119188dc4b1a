package dev.qlora4j.accel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * An NCCL communicator over one GPU per rank, bound with FFM ({@code libnccl.so.2}; on the CPU
 * emulator, its NCCL entry points over MPI). The ranks meet through a 128-byte unique id that
 * rank 0 makes ({@link #uniqueId}) and the caller broadcasts (over MPI, as NCCL's own tests do).
 * An all-reduce is enqueued on the device's stream and then polled with a deadline: when the
 * other ranks never join, the communicator is aborted and the call fails instead of hanging.
 */
public final class NcclComm implements AutoCloseable {
    public static final int UNIQUE_ID_BYTES = 128;
    private static final int FLOAT32 = 7, SUM = 0;
    private static final StructLayout UNIQUE_ID = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(UNIQUE_ID_BYTES, JAVA_BYTE));

    private final CudaDevice device;
    private final MethodHandle allReduce, destroy, abort, asyncError;
    private final MemorySegment comm;
    private final int ranks;
    private boolean closed;

    private NcclComm(CudaDevice device, Native.Library lib, MemorySegment comm, int ranks) {
        this.device = device;
        this.comm = comm;
        this.ranks = ranks;
        allReduce = lib.bind("ncclAllReduce", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        destroy = lib.bind("ncclCommDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        abort = lib.bind("ncclCommAbort", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        asyncError = lib.bind("ncclCommGetAsyncError", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** ncclGetUniqueId: rank 0's invitation, to be broadcast to the other ranks. */
    public static byte[] uniqueId(CudaDevice device) {
        Native.Library lib = device.bindings().nccl();
        MethodHandle get = lib.bind("ncclGetUniqueId", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(UNIQUE_ID);
            check(lib, invoke(() -> (int) get.invokeExact(id)), "ncclGetUniqueId");
            return id.toArray(JAVA_BYTE);
        }
    }

    /** ncclCommInitRank: joins the communicator of {@code ranks} GPUs as {@code rank} (every rank calls it with the same id). */
    public static NcclComm init(CudaDevice device, int ranks, int rank, byte[] uniqueId) {
        if (uniqueId.length != UNIQUE_ID_BYTES) throw new IllegalArgumentException("an NCCL unique id has 128 bytes, not " + uniqueId.length);
        Native.Library lib = device.bindings().nccl();
        MethodHandle init = lib.bind("ncclCommInitRank", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, UNIQUE_ID, JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS), id = a.allocate(UNIQUE_ID);
            MemorySegment.copy(uniqueId, 0, id, JAVA_BYTE, 0, UNIQUE_ID_BYTES);
            check(lib, invoke(() -> (int) init.invokeExact(out, ranks, id, rank)), "ncclCommInitRank(" + ranks + " ranks, rank " + rank + ")");
            return new NcclComm(device, lib, out.get(ADDRESS, 0), ranks);
        }
    }

    public int ranks() {
        return ranks;
    }

    /**
     * buf's first {@code floats} fp32 values summed over the ranks, in place, on the device's
     * stream; returns when done, or throws after {@code timeoutNanos} without the other ranks.
     */
    public void allReduceSum(DeviceBuffer buf, long floats, long timeoutNanos) {
        if (floats == 0) return;
        if (4 * floats > buf.bytes()) throw new IllegalArgumentException(floats + " floats in a buffer of " + buf.bytes() + " bytes");
        MemorySegment stream = device.stream();
        int rc = invoke(() -> (int) allReduce.invokeExact(buf.address(), buf.address(), floats, FLOAT32, SUM, comm, stream));
        check(device.bindings().nccl(), rc, "ncclAllReduce");
        long start = System.nanoTime();
        int polls = 0;
        while (!device.driver().done(stream)) {
            asyncCheck();
            if (System.nanoTime() - start > timeoutNanos) {
                invoke(() -> (int) abort.invokeExact(comm));
                closed = true;
                throw new CollectiveTimeoutException("no answer from the other ranks' GPUs for " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)
                        + " s (ddp_timeout) during the NCCL all-reduce of the gradients");
            }
            if (++polls < 2000) Thread.onSpinWait();
            else LockSupport.parkNanos(100_000);
        }
        asyncCheck();
    }

    private void asyncCheck() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(JAVA_INT);
            check(device.bindings().nccl(), invoke(() -> (int) asyncError.invokeExact(comm, r)), "ncclCommGetAsyncError");
            int async = r.get(JAVA_INT, 0);
            if (async != 0 && async != 7)   // 7: ncclInProgress
                check(device.bindings().nccl(), async, "the NCCL all-reduce (asynchronous error)");
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        invoke(() -> (int) destroy.invokeExact(comm));
    }

    private interface Call {
        int run() throws Throwable;
    }

    private static int invoke(Call c) {
        try {
            return c.run();
        } catch (Throwable t) {
            throw Native.rethrow("NCCL", t);
        }
    }

    private static void check(Native.Library lib, int rc, String what) {
        if (rc == 0) return;
        MethodHandle es = lib.bind("ncclGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));   // only on the error path
        String text;
        try {
            text = ((MemorySegment) es.invokeExact(rc)).reinterpret(1024).getString(0);
        } catch (Throwable t) {
            text = "error " + rc;
        }
        throw new CudaException(what + " failed: " + text + " (ncclResult " + rc + ")");
    }
}
