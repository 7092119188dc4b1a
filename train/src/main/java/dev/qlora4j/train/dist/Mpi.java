package dev.qlora4j.train.dist;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The MPI C library bound with FFM: the few calls data-parallel training needs (init, rank and
 * size, non-blocking all-reduce / broadcast / all-gather / barrier polled with MPI_Test, abort,
 * finalize). Two ABIs: Open MPI's ({@code libmpi.so.40}; handles are the addresses of its
 * predefined objects such as {@code ompi_mpi_comm_world}) and MPICH's ({@code libmpi.so.12},
 * shared by MPICH, Intel MPI, MVAPICH and Cray MPICH; handles are int constants from its mpi.h).
 * Only MPI_COMM_WORLD is used; buffers are never MPI_IN_PLACE (whose value differs between the
 * ABIs) and statuses are written to scratch memory (their layout differs too).
 *
 * <p>Every collective is started non-blocking and polled, so that a rank whose peers stopped
 * answering gives up after a deadline (HF's {@code ddp_timeout}) instead of hanging.
 */
public final class Mpi implements AutoCloseable {
    /** MPI's datatypes and reduction operations that are used. */
    public enum Type { FLOAT, DOUBLE, BYTE }

    public enum Op { SUM }

    private static final int THREAD_SERIALIZED = 2;   // the same in both ABIs

    private final String library, abi;
    private final boolean openMpi;
    private final Object world, floatT, doubleT, byteT, sum;
    private final MethodHandle initialized, finalized, initThread, commRank, commSize, iallreduce, ibcast, iallgather, ibarrier, test,
            abort, finalizeH, libraryVersion;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment request, flag, status;
    private boolean initializedHere;

    private Mpi(String library, SymbolLookup lookup) {
        this.library = library;
        this.openMpi = lookup.find("ompi_mpi_comm_world").isPresent();
        this.abi = openMpi ? "Open MPI" : "MPICH";
        ValueLayout handle = openMpi ? ADDRESS : JAVA_INT;
        if (openMpi) {
            world = symbol(lookup, "ompi_mpi_comm_world");
            floatT = symbol(lookup, "ompi_mpi_float");
            doubleT = symbol(lookup, "ompi_mpi_double");
            byteT = symbol(lookup, "ompi_mpi_byte");
            sum = symbol(lookup, "ompi_mpi_op_sum");
        } else {
            // MPICH's mpi.h (x86-64 and aarch64 alike)
            world = 0x44000000;
            floatT = 0x4c00040a;
            doubleT = 0x4c00080b;
            byteT = 0x4c00010d;
            sum = 0x58000003;
        }
        initialized = bind(lookup, "MPI_Initialized", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        finalized = bind(lookup, "MPI_Finalized", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        initThread = bind(lookup, "MPI_Init_thread", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        commRank = bind(lookup, "MPI_Comm_rank", FunctionDescriptor.of(JAVA_INT, handle, ADDRESS));
        commSize = bind(lookup, "MPI_Comm_size", FunctionDescriptor.of(JAVA_INT, handle, ADDRESS));
        iallreduce = bind(lookup, "MPI_Iallreduce", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, handle, handle, handle, ADDRESS));
        ibcast = bind(lookup, "MPI_Ibcast", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, handle, JAVA_INT, handle, ADDRESS));
        iallgather = bind(lookup, "MPI_Iallgather", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, handle, ADDRESS, JAVA_INT, handle, handle,
                ADDRESS));
        ibarrier = bind(lookup, "MPI_Ibarrier", FunctionDescriptor.of(JAVA_INT, handle, ADDRESS));
        test = bind(lookup, "MPI_Test", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        abort = bind(lookup, "MPI_Abort", FunctionDescriptor.of(JAVA_INT, handle, JAVA_INT));
        finalizeH = bind(lookup, "MPI_Finalize", FunctionDescriptor.of(JAVA_INT));
        libraryVersion = bind(lookup, "MPI_Get_library_version", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        request = arena.allocate(8, 8);
        flag = arena.allocate(JAVA_INT);
        status = arena.allocate(64, 8);
    }

    /**
     * Opens the MPI library: {@code QLORA4J_MPI_LIB} when set, else Open MPI's or MPICH's soname,
     * the launcher's kind first. The library is opened RTLD_GLOBAL first, because Open MPI's
     * plugins resolve their symbols against it. Before that, UCX (the transport of MPICH's ch4
     * and of Open MPI on InfiniBand, read when its library loads) is told not to take over
     * SIGSEGV/SIGBUS/SIGILL/SIGFPE, which the JVM uses for its own null checks and safepoints
     * ({@code UCX_ERROR_SIGNALS}, unless the user set it). Open MPI itself leaves handlers that
     * are already installed alone.
     */
    public static Mpi open(Launch launch, String override) {
        setenvIfAbsent("UCX_ERROR_SIGNALS", "");
        List<String> names = new ArrayList<>();
        if (override != null && !override.isBlank()) names.add(override);
        else if (launch != null && launch.mpich()) names.addAll(List.of("libmpi.so.12", "libmpich.so.12", "libmpi.so.40"));
        else names.addAll(List.of("libmpi.so.40", "libmpi.so.12", "libmpich.so.12"));
        for (String name : names) {
            if (!globalOpen(name)) continue;
            SymbolLookup lookup = name.contains("/") ? SymbolLookup.libraryLookup(Path.of(name), Arena.global())
                    : SymbolLookup.libraryLookup(name, Arena.global());
            return new Mpi(name, lookup);
        }
        throw new DistributedException("no MPI library: " + String.join(" / ", names) + " not found (install Open MPI, e.g. Debian's "
                + "openmpi-bin, or point QLORA4J_MPI_LIB at libmpi.so)");
    }

    /** dlopen(name, RTLD_NOW | RTLD_GLOBAL); false when it does not open. */
    private static boolean globalOpen(String name) {
        Linker linker = Linker.nativeLinker();
        MethodHandle dlopen = linker.downcallHandle(linker.defaultLookup().find("dlopen").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = (MemorySegment) dlopen.invokeExact(a.allocateFrom(name), 0x2 | 0x100);
            return !h.equals(MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("dlopen " + name, t);
        }
    }

    private static void setenvIfAbsent(String name, String value) {
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            if ((int) setenv.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 0) != 0) throw new IllegalStateException("setenv " + name);
        } catch (Throwable t) {
            throw new IllegalStateException("setenv " + name, t);
        }
    }

    private static MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new DistributedException("the MPI library has no " + name));
    }

    private MethodHandle bind(SymbolLookup lookup, String name, FunctionDescriptor fd) {
        MemorySegment a = lookup.find(name).orElseThrow(() -> new DistributedException(library + " has no " + name
                + " (MPI 3 or newer is needed)"));
        return Linker.nativeLinker().downcallHandle(a, fd);
    }

    /** MPI_Init_thread(SERIALIZED) unless MPI is already initialized in this process. */
    public void init() {
        check("MPI_Initialized", call(initialized, flag));
        if (flag.get(JAVA_INT, 0) != 0) return;
        try (Arena a = Arena.ofConfined()) {
            // every call comes from the thread that runs the training loop, so even FUNNELED would do
            check("MPI_Init_thread", call(initThread, MemorySegment.NULL, MemorySegment.NULL, THREAD_SERIALIZED, a.allocate(JAVA_INT)));
        }
        initializedHere = true;
    }

    public int rank() {
        return intOut(commRank, "MPI_Comm_rank");
    }

    public int size() {
        return intOut(commSize, "MPI_Comm_size");
    }

    private int intOut(MethodHandle h, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(name, call(h, world, out));
            return out.get(JAVA_INT, 0);
        }
    }

    /** "Open MPI v4.1.4, ..." — the library's own words, first line. */
    public String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocate(8192), len = a.allocate(JAVA_INT);
            check("MPI_Get_library_version", call(libraryVersion, text, len));
            String v = text.getString(0).strip();
            int end = v.length();
            for (char c : new char[]{'\n', ','}) if (v.indexOf(c) >= 0) end = Math.min(end, v.indexOf(c));
            return v.substring(0, end).replaceAll("\\s+", " ").strip();
        }
    }

    public String abi() {
        return abi;
    }

    public String library() {
        return library;
    }

    /** recv[i] = op over ranks of send[i], for {@code count} elements of {@code type}. */
    public void allReduce(MemorySegment send, MemorySegment recv, long count, Type type, Op op, long timeoutNanos, String what) {
        int n = Math.toIntExact(count);
        check("MPI_Iallreduce", call(iallreduce, send, recv, n, type(type), sum, world, request));
        await(timeoutNanos, "all-reduce of " + what);
    }

    /** The root's {@code bytes} bytes of buf on every rank. */
    public void broadcast(MemorySegment buf, long bytes, int root, long timeoutNanos, String what) {
        check("MPI_Ibcast", call(ibcast, buf, Math.toIntExact(bytes), byteT, root, world, request));
        await(timeoutNanos, "broadcast of " + what);
    }

    /** recv = every rank's {@code bytesEach} bytes of send, in rank order. */
    public void allGather(MemorySegment send, long bytesEach, MemorySegment recv, long timeoutNanos, String what) {
        int n = Math.toIntExact(bytesEach);
        check("MPI_Iallgather", call(iallgather, send, n, byteT, recv, n, byteT, world, request));
        await(timeoutNanos, "all-gather of " + what);
    }

    public void barrier(long timeoutNanos, String what) {
        check("MPI_Ibarrier", call(ibarrier, world, request));
        await(timeoutNanos, what);
    }

    /** Ends every process of the job (MPI_Abort on MPI_COMM_WORLD); does not return where MPI keeps its word. */
    public void abort(int code) {
        call(abort, world, code);
    }

    /** MPI_Finalize, when this object initialized MPI and nothing finalized it yet. */
    @Override
    public void close() {
        if (!initializedHere) return;
        initializedHere = false;
        call(finalized, flag);
        if (flag.get(JAVA_INT, 0) == 0) call(finalizeH);
    }

    /** Polls the pending request: spins briefly, then parks in growing steps up to 1 ms; a timeout names what it waited for. */
    private void await(long timeoutNanos, String what) {
        long start = System.nanoTime();
        int polls = 0;
        while (true) {
            int rc;
            try {
                rc = (int) test.invokeExact(request, flag, status);   // both ABIs: three pointers, so no boxing in the poll loop
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            check("MPI_Test", rc);
            if (flag.get(JAVA_INT, 0) != 0) return;
            long waited = System.nanoTime() - start;
            if (waited > timeoutNanos)
                throw new DistributedException.Timeout("no answer from the other ranks for " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)
                        + " s (ddp_timeout) during the " + what);
            if (++polls < 2000) Thread.onSpinWait();
            else LockSupport.parkNanos(Math.min(1_000_000L, 1000L * (polls - 2000) + 10_000L));
        }
    }

    private Object type(Type t) {
        return switch (t) {
            case FLOAT -> floatT;
            case DOUBLE -> doubleT;
            case BYTE -> byteT;
        };
    }

    private static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void check(String name, int rc) {
        if (rc != 0) throw new DistributedException(name + " failed with MPI error " + rc);
    }
}
