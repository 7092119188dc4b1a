package dev.qlora4j.accel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The part of libcuda's driver API the backend uses, bound with FFM (the {@code _v2} entry points
 * that cuda.h's macros select). Every failure names the call and {@code cuGetErrorName}'s answer.
 * Handles (context, module, function, stream) are opaque addresses; device pointers are longs.
 */
public final class CudaDriver {
    static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16, ATTRIBUTE_CC_MAJOR = 75, ATTRIBUTE_CC_MINOR = 76;
    private static final int CUDA_ERROR_NO_DEVICE = 100, CUDA_ERROR_STUB_LIBRARY = 34;

    private final String library;
    private final MethodHandle init, deviceGetCount, deviceGet, deviceGetName, deviceGetAttribute, primaryCtxRetain,
            primaryCtxRelease, ctxSetCurrent, ctxSynchronize, memAlloc, memFree, memGetInfo, memcpyHtoD, memcpyDtoH,
            memcpyDtoD, memsetD8, moduleLoadData, moduleGetFunction, launchKernel, streamCreate, streamSynchronize,
            streamQuery, getErrorName;

    CudaDriver(Native.Library lib) {
        this.library = lib.name();
        Linker.Option critical = Linker.Option.critical(true);   // copies may read/write Java arrays directly
        init = lib.bind("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        deviceGetCount = lib.bind("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        deviceGet = lib.bind("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        deviceGetName = lib.bind("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        deviceGetAttribute = lib.bind("cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        primaryCtxRetain = lib.bind("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        primaryCtxRelease = lib.bind("cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        ctxSetCurrent = lib.bind("cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ctxSynchronize = lib.bind("cuCtxSynchronize", FunctionDescriptor.of(JAVA_INT));
        memAlloc = lib.bind("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        memFree = lib.bind("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        memGetInfo = lib.bind("cuMemGetInfo_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        memcpyHtoD = lib.bind("cuMemcpyHtoD_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG), critical);
        memcpyDtoH = lib.bind("cuMemcpyDtoH_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), critical);
        memcpyDtoD = lib.bind("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        memsetD8 = lib.bind("cuMemsetD8Async", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS));
        moduleLoadData = lib.bind("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        moduleGetFunction = lib.bind("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        launchKernel = lib.bind("cuLaunchKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        streamCreate = lib.bind("cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        streamSynchronize = lib.bind("cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        streamQuery = lib.bind("cuStreamQuery", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getErrorName = lib.bind("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    /** cuInit, with the two answers of a machine without a usable GPU turned into a clear error. */
    public void init() {
        int rc = call("cuInit", () -> (int) init.invokeExact(0));
        if (rc == CUDA_ERROR_NO_DEVICE) throw new CudaUnavailableException("the NVIDIA driver finds no GPU (cuInit: CUDA_ERROR_NO_DEVICE)");
        if (rc == CUDA_ERROR_STUB_LIBRARY)
            throw new CudaUnavailableException(library + " is the toolkit's stub, not a driver (cuInit: CUDA_ERROR_STUB_LIBRARY)");
        check(rc, "cuInit");
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check(call("cuDeviceGetCount", () -> (int) deviceGetCount.invokeExact(n)), "cuDeviceGetCount");
            return n.get(JAVA_INT, 0);
        }
    }

    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            check(call("cuDeviceGet", () -> (int) deviceGet.invokeExact(d, ordinal)), "cuDeviceGet(" + ordinal + ")");
            return d.get(JAVA_INT, 0);
        }
    }

    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(256);
            check(call("cuDeviceGetName", () -> (int) deviceGetName.invokeExact(s, 256, device)), "cuDeviceGetName");
            return s.getString(0);
        }
    }

    public int attribute(int device, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(call("cuDeviceGetAttribute", () -> (int) deviceGetAttribute.invokeExact(v, attribute, device)),
                    "cuDeviceGetAttribute(" + attribute + ")");
            return v.get(JAVA_INT, 0);
        }
    }

    public MemorySegment retainPrimaryContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(ADDRESS);
            check(call("cuDevicePrimaryCtxRetain", () -> (int) primaryCtxRetain.invokeExact(c, device)), "cuDevicePrimaryCtxRetain");
            return c.get(ADDRESS, 0);
        }
    }

    public void releasePrimaryContext(int device) {
        check(call("cuDevicePrimaryCtxRelease", () -> (int) primaryCtxRelease.invokeExact(device)), "cuDevicePrimaryCtxRelease");
    }

    public void setCurrent(MemorySegment context) {
        check(call("cuCtxSetCurrent", () -> (int) ctxSetCurrent.invokeExact(context)), "cuCtxSetCurrent");
    }

    public void synchronize() {
        check(call("cuCtxSynchronize", () -> (int) ctxSynchronize.invokeExact()), "cuCtxSynchronize");
    }

    public MemorySegment createStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            check(call("cuStreamCreate", () -> (int) streamCreate.invokeExact(s, 0)), "cuStreamCreate");
            return s.get(ADDRESS, 0);
        }
    }

    /** Whether the stream's work is done (cuStreamQuery: CUDA_SUCCESS, or CUDA_ERROR_NOT_READY while it runs). */
    public boolean done(MemorySegment stream) {
        int rc = call("cuStreamQuery", () -> (int) streamQuery.invokeExact(stream));
        if (rc == 600) return false;
        check(rc, "cuStreamQuery");
        return true;
    }

    public void synchronize(MemorySegment stream) {
        check(call("cuStreamSynchronize", () -> (int) streamSynchronize.invokeExact(stream)), "cuStreamSynchronize");
    }

    /** The raw answer of cuMemAlloc: 0 when it worked (pointer in out[0]), else the CUresult. */
    int tryMemAlloc(long bytes, long[] out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            int rc = call("cuMemAlloc", () -> (int) memAlloc.invokeExact(p, bytes));
            if (rc == 0) out[0] = p.get(JAVA_LONG, 0);
            return rc;
        }
    }

    public void memFree(long pointer) {
        check(call("cuMemFree", () -> (int) memFree.invokeExact(pointer)), "cuMemFree");
    }

    /** {free, total} bytes of device memory. */
    public long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check(call("cuMemGetInfo", () -> (int) memGetInfo.invokeExact(f, t)), "cuMemGetInfo");
            return new long[]{f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        }
    }

    /** Host (native or heap segment) → device, synchronous. */
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        check(call("cuMemcpyHtoD", () -> (int) memcpyHtoD.invokeExact(dst, src, bytes)), "cuMemcpyHtoD(" + bytes + " bytes)");
    }

    /** Device → host (native or heap segment), synchronous. */
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        check(call("cuMemcpyDtoH", () -> (int) memcpyDtoH.invokeExact(dst, src, bytes)), "cuMemcpyDtoH(" + bytes + " bytes)");
    }

    /** Device → device, queued on the stream (ordered with the kernels around it, no host wait). */
    public void copyOnDevice(long dst, long src, long bytes, MemorySegment stream) {
        check(call("cuMemcpyDtoDAsync", () -> (int) memcpyDtoD.invokeExact(dst, src, bytes, stream)), "cuMemcpyDtoDAsync(" + bytes + " bytes)");
    }

    /** Fills bytes with a value, queued on the stream. */
    public void memset(long dst, byte value, long bytes, MemorySegment stream) {
        check(call("cuMemsetD8Async", () -> (int) memsetD8.invokeExact(dst, value, bytes, stream)), "cuMemsetD8Async");
    }

    public MemorySegment loadModule(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(ADDRESS);
            check(call("cuModuleLoadData", () -> (int) moduleLoadData.invokeExact(m, image)), "cuModuleLoadData");
            return m.get(ADDRESS, 0);
        }
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ADDRESS), n = a.allocateFrom(name);
            check(call("cuModuleGetFunction", () -> (int) moduleGetFunction.invokeExact(f, module, n)), "cuModuleGetFunction(" + name + ")");
            return f.get(ADDRESS, 0);
        }
    }

    /** cuLaunchKernel with kernelParams (an array of pointers to each argument's value). */
    public void launch(MemorySegment function, String name, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes,
                       MemorySegment stream, MemorySegment params) {
        int rc = call("cuLaunchKernel", () -> (int) launchKernel.invokeExact(function, gx, gy, gz, bx, by, bz, sharedBytes, stream,
                params, MemorySegment.NULL));
        if (rc != 0) check(rc, "cuLaunchKernel(" + name + ", grid " + gx + "x" + gy + "x" + gz + ", block " + bx + "x" + by + "x" + bz + ")");
    }

    public String errorName(int result) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            int rc = call("cuGetErrorName", () -> (int) getErrorName.invokeExact(result, s));
            MemorySegment p = s.get(ADDRESS, 0);
            return rc != 0 || p.equals(MemorySegment.NULL) ? "CUresult " + result : p.reinterpret(256).getString(0);
        }
    }

    void check(int rc, String what) {
        if (rc != 0) throw new CudaException(what + " failed: " + errorName(rc));
    }

    interface IntCall {
        int run() throws Throwable;
    }

    static int call(String name, IntCall c) {
        try {
            return c.run();
        } catch (Throwable t) {
            throw Native.rethrow(name, t);
        }
    }
}
