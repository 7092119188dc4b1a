package dev.qlora4j.accel;

import dev.qlora4j.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One GPU, driven from the thread that opened it (the thread the primary context is current on;
 * calls from another thread are refused rather than silently running without a context). Owns the
 * kernel module (all of {@link KernelSources}, compiled once per process), a stream, a cuBLAS
 * handle and a {@link CachingAllocator}. Copies are synchronous; launches and GEMMs are queued on
 * the stream in order, and {@link #synchronize} waits for them.
 */
public final class CudaDevice implements AutoCloseable {
    private static final int MAX_ARGS = 32;

    private final CudaDriver driver;
    private final Cublas cublas;
    private final Thread owner = Thread.currentThread();
    private final CudaBindings bindings;
    private final Arena arena = Arena.ofConfined();
    private final int ordinal, device, computeCapability, multiprocessors;
    private final String name;
    private final MemorySegment context, stream, module, params, values;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final CachingAllocator allocator;
    private Map<String, long[]> profile;
    private boolean closed;

    private CudaDevice(CudaBindings bindings, int ordinal) {
        this.bindings = bindings;
        this.driver = new CudaDriver(bindings.driver);
        driver.init();
        int count = driver.deviceCount();
        if (count == 0) throw new CudaUnavailableException("the NVIDIA driver finds no GPU");
        if (ordinal < 0) {
            // one rank of several on this machine: its local rank's GPU, or the only one it is shown (CUDA_VISIBLE_DEVICES per rank)
            int local = -ordinal - 1;
            if (count > 1 && local >= count)
                throw new CudaUnavailableException("local rank " + local + " has no GPU of its own: this machine shows " + count
                        + " (start at most one rank per GPU)");
            ordinal = count == 1 ? 0 : local;
        }
        if (ordinal >= count) throw new CudaUnavailableException("no GPU " + ordinal + ": this machine has " + count);
        this.ordinal = ordinal;
        this.device = driver.device(ordinal);
        this.name = driver.deviceName(device);
        this.computeCapability = 10 * driver.attribute(device, CudaDriver.ATTRIBUTE_CC_MAJOR) + driver.attribute(device, CudaDriver.ATTRIBUTE_CC_MINOR);
        this.multiprocessors = driver.attribute(device, CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT);
        if (computeCapability < 80)
            throw new CudaUnavailableException(name + " has compute capability " + computeCapability / 10 + "." + computeCapability % 10
                    + "; bf16 training needs 8.0 or newer (Ampere, Hopper)");
        this.context = driver.retainPrimaryContext(device);
        driver.setCurrent(context);
        this.stream = driver.createStream();
        String source = KernelSources.module();
        byte[] image = bindings.compiler.compile(source, "qlora4j_kernels.cu", computeCapability);
        MemorySegment img = arena.allocate(image.length + 1L);
        MemorySegment.copy(image, 0, img, ValueLayout.JAVA_BYTE, 0, image.length);
        this.module = driver.loadModule(img);
        this.cublas = new Cublas(bindings.cublas, stream, arena);
        this.allocator = new CachingAllocator(driver);
        this.params = arena.allocate(ADDRESS, MAX_ARGS);
        this.values = arena.allocate(8L * MAX_ARGS, 8);
        if (Boolean.getBoolean("qlora4j.cuda.profile") || "1".equals(System.getenv("QLORA4J_CUDA_PROFILE"))) profile = new java.util.TreeMap<>();
    }

    /**
     * GPU 0 through the machine's CUDA libraries; or, when the system property {@code qlora4j.cuda}
     * or the environment variable {@code QLORA4J_CUDA} is {@code emulator}, the CPU emulator (the
     * same kernels run on the CPU: for tests and for trying the GPU path on a machine without one;
     * slow, and needs g++).
     */
    public static CudaDevice open() {
        return open(selectedBindings(), 0);
    }

    /**
     * The GPU of a rank that is {@code localRank} among the ranks of its machine: GPU localRank,
     * or GPU 0 when the rank is shown only one (the launcher set CUDA_VISIBLE_DEVICES per rank).
     */
    public static CudaDevice openForLocalRank(int localRank) {
        return new CudaDevice(selectedBindings(), -localRank - 1);
    }

    private static CudaBindings selectedBindings() {
        String mode = System.getProperty("qlora4j.cuda", System.getenv().getOrDefault("QLORA4J_CUDA", ""));
        if (mode.equals("emulator")) {
            CudaBindings b = dev.qlora4j.accel.emu.CpuEmulator.bindings().orElseThrow(() ->
                    new CudaUnavailableException("the CUDA emulator could not be built: " + dev.qlora4j.accel.emu.CpuEmulator.whyNot()));
            return b;
        }
        return CudaBindings.system();
    }

    public static CudaDevice open(CudaBindings bindings, int ordinal) {
        return new CudaDevice(bindings, ordinal);
    }

    CudaBindings bindings() {
        return bindings;
    }

    MemorySegment stream() {
        return stream;
    }

    CudaDriver driver() {
        return driver;
    }

    public String name() {
        return name;
    }

    public int ordinal() {
        return ordinal;
    }

    /** major·10 + minor (90 on an H100). */
    public int computeCapability() {
        return computeCapability;
    }

    public CachingAllocator allocator() {
        return allocator;
    }

    /** {free, total} bytes the driver reports. */
    public long[] memoryInfo() {
        owned();
        return driver.memInfo();
    }

    public DeviceBuffer allocate(long bytes) {
        owned();
        return allocator.allocate(bytes);
    }

    public void free(DeviceBuffer buffer) {
        owned();
        allocator.free(buffer);
    }

    /** A buffer of {@code bytes} zero bytes. */
    public DeviceBuffer zeros(long bytes) {
        DeviceBuffer b = allocate(bytes);
        driver.memset(b.address(), (byte) 0, bytes, stream);
        return b;
    }

    /** Sets the first {@code bytes} bytes of b to zero, on the stream. */
    public void clear(DeviceBuffer b, long bytes) {
        owned();
        driver.memset(b.at(0), (byte) 0, Math.min(bytes, b.bytes()), stream);
    }

    /** Waits for the stream's work, then copies host → device. */
    public void upload(MemorySegment src, DeviceBuffer dst, long dstOffset) {
        owned();
        driver.synchronize(stream);
        driver.copyToDevice(dst.at(dstOffset), src, src.byteSize());
    }

    public DeviceBuffer upload(float[] values) {
        DeviceBuffer b = allocate(4L * values.length);
        upload(MemorySegment.ofArray(values), b, 0);
        return b;
    }

    public DeviceBuffer upload(int[] values) {
        DeviceBuffer b = allocate(4L * values.length);
        upload(MemorySegment.ofArray(values), b, 0);
        return b;
    }

    public DeviceBuffer upload(short[] values) {
        DeviceBuffer b = allocate(2L * values.length);
        upload(MemorySegment.ofArray(values), b, 0);
        return b;
    }

    /** Waits for the stream's work, then copies device → host ({@code dst.byteSize()} bytes). */
    public void download(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        owned();
        driver.synchronize(stream);
        if (srcOffset + dst.byteSize() > src.bytes())
            throw new IndexOutOfBoundsException(dst.byteSize() + " bytes at " + srcOffset + " of a buffer of " + src.bytes());
        driver.copyToHost(dst, src.at(srcOffset), dst.byteSize());
    }

    public float[] downloadFloats(DeviceBuffer src, int count) {
        float[] out = new float[count];
        download(src, 0, MemorySegment.ofArray(out));
        return out;
    }

    public short[] downloadShorts(DeviceBuffer src, int count) {
        short[] out = new short[count];
        download(src, 0, MemorySegment.ofArray(out));
        return out;
    }

    /** Device → device on the stream (no host wait). */
    public void copy(DeviceBuffer src, DeviceBuffer dst, long bytes) {
        owned();
        driver.copyOnDevice(dst.at(0), src.at(0), Math.min(bytes, Math.min(src.bytes(), dst.bytes())), stream);
    }

    /**
     * Queues kernel {@code kernel} on the stream with a 1-D grid. Arguments: {@link DeviceBuffer}
     * or Long (8 bytes: a pointer or a long long), Integer, Float, Boolean (an int 0/1), in the
     * kernel's parameter order.
     */
    public void launch(String kernel, long grid, int block, Object... args) {
        owned();
        if (args.length > MAX_ARGS) throw new IllegalArgumentException(kernel + ": more than " + MAX_ARGS + " arguments");
        if (grid <= 0 || grid > Integer.MAX_VALUE) throw new IllegalArgumentException(kernel + ": grid of " + grid + " blocks");
        for (int i = 0; i < args.length; i++) {
            long slot = 8L * i;
            switch (args[i]) {
                case DeviceBuffer b -> values.set(JAVA_LONG, slot, b.address());
                case Long l -> values.set(JAVA_LONG, slot, l);
                case Integer n -> values.set(JAVA_INT, slot, n);
                case Float f -> values.set(JAVA_FLOAT, slot, f);
                case Boolean b -> values.set(JAVA_INT, slot, b ? 1 : 0);
                default -> throw new IllegalArgumentException(kernel + " argument " + i + ": " + args[i].getClass().getSimpleName());
            }
            params.setAtIndex(ADDRESS, i, values.asSlice(slot));
        }
        MemorySegment f = functions.computeIfAbsent(kernel, k -> driver.function(module, k));
        long t0 = profileStart();
        driver.launch(f, kernel, (int) grid, 1, 1, block, 1, 1, 0, stream, params);
        profileEnd(kernel, t0);
    }

    /**
     * Per-operation timing: each launch and GEMM then waits for the device before and after, and
     * its wall time is added under its name (kernel name, or the GEMM's shape and types). Slows
     * the run down (a synchronisation per operation); for finding where a step's time goes. Also
     * on with the system property {@code qlora4j.cuda.profile=true} or QLORA4J_CUDA_PROFILE=1.
     */
    public void setProfiling(boolean on) {
        owned();
        profile = on ? new java.util.TreeMap<>() : null;
    }

    /** Name → {count, total nanoseconds} since profiling was turned on (empty when it is off). */
    public Map<String, long[]> profile() {
        return profile == null ? Map.of() : java.util.Collections.unmodifiableMap(profile);
    }

    private long profileStart() {
        if (profile == null) return 0;
        driver.synchronize(stream);
        return System.nanoTime();
    }

    private void profileEnd(String name, long t0) {
        if (profile == null) return;
        driver.synchronize(stream);
        long[] e = profile.computeIfAbsent(name, x -> new long[2]);
        e[0]++;
        e[1] += System.nanoTime() - t0;
    }

    /** Blocks for a grid-stride kernel over n elements: enough to fill the device, no more. */
    public long gridFor(long n, int block) {
        long needed = Math.max(1, (n + block - 1) / block);
        return Math.min(needed, 32L * Math.max(1, multiprocessors));
    }

    /**
     * Row-major C[M, N] = α·op(A)·op(B) + β·C, op(A) [M, K] (A stored [K, M] when transA), op(B)
     * [K, N] (B stored [N, K] when transB); F32 or BF16 storage, fp32 accumulation. As cuBLAS is
     * column-major, this is Cᵀ = op(B)ᵀ·op(A)ᵀ with the operands swapped.
     */
    public void matmul(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DType aType,
                       DeviceBuffer b, DType bType, float beta, DeviceBuffer c, DType cType) {
        batchedMatmul(transA, transB, m, n, k, alpha, a, aType, 0, b, bType, 0, beta, c, cType, 0, 1);
    }

    /** {@link #matmul} over {@code batch} matrices at the given element strides. */
    public void batchedMatmul(boolean transA, boolean transB, int m, int n, int k, float alpha, DeviceBuffer a, DType aType,
                              long strideA, DeviceBuffer b, DType bType, long strideB, float beta, DeviceBuffer c, DType cType,
                              long strideC, int batch) {
        owned();
        long t0 = profileStart();
        cublas.gemm(transB, transA, n, m, k, alpha, b.address(), blasType(bType), transB ? k : n, strideB,
                a.address(), blasType(aType), transA ? m : k, strideA, beta, c.address(), blasType(cType), n, strideC, batch);
        if (profile != null)
            profileEnd("gemm " + (transA ? "T" : "N") + (transB ? "T" : "N") + " " + (batch > 1 ? batch + "x" : "") + m + "x" + n + "x" + k
                    + " " + aType + "·" + bType + "→" + cType, t0);
    }

    /** The cuBLAS binding itself (tests of its argument handling). */
    Cublas cublasForTest() {
        owned();
        return cublas;
    }

    private static int blasType(DType t) {
        return switch (t) {
            case F32 -> Cublas.R_32F;
            case BF16 -> Cublas.R_16BF;
            default -> throw new IllegalArgumentException("GEMM operands are F32 or BF16, not " + t);
        };
    }

    /** Waits for everything queued on the stream; a kernel's fault surfaces here. */
    public void synchronize() {
        owned();
        driver.synchronize(stream);
    }

    private void owned() {
        if (closed) throw new IllegalStateException("CUDA device " + name + " is closed");
        if (Thread.currentThread() != owner)
            throw new IllegalStateException("CUDA device " + name + " belongs to thread " + owner.getName() + ", called from "
                    + Thread.currentThread().getName());
    }

    @Override
    public void close() {
        if (closed) return;
        owned();
        driver.synchronize(stream);
        allocator.releaseAll();
        cublas.close();
        driver.releasePrimaryContext(device);
        arena.close();
        closed = true;
    }
}
