package dev.qlora4j.accel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * NVRTC (libnvrtc.so.13) compiling the kernels' CUDA C to a cubin for the device's architecture.
 * Cubins are cached on disk by the hash of source, options and NVRTC version, so a run compiles
 * only when the kernels changed.
 */
public final class Nvrtc implements KernelCompiler {
    /** Exact IEEE division and square root (the defaults, stated); contraction stays on except where a kernel says _rn. */
    static final List<String> OPTIONS = List.of("--std=c++17", "--prec-div=true", "--prec-sqrt=true");

    private final MethodHandle version, create, compile, logSize, log, cubinSize, cubin, destroy, errorString;
    private final Path cacheDir;

    Nvrtc(Native.Library lib, Path cacheDir) {
        version = lib.bind("nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        create = lib.bind("nvrtcCreateProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        compile = lib.bind("nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        logSize = lib.bind("nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        log = lib.bind("nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cubinSize = lib.bind("nvrtcGetCUBINSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        cubin = lib.bind("nvrtcGetCUBIN", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = lib.bind("nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        errorString = lib.bind("nvrtcGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        this.cacheDir = cacheDir;
    }

    /** libnvrtc of CUDA 13 (or 12), caching in QLORA4J_KERNEL_CACHE or ~/.cache/qlora4j/kernels. */
    public static Nvrtc system() {
        Native.Library lib = Native.open("the CUDA runtime compiler is missing (install the CUDA toolkit's nvrtc, or point QLORA4J_CUDA_LIBS at it)",
                "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so");
        String dir = System.getenv("QLORA4J_KERNEL_CACHE");
        return new Nvrtc(lib, dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "qlora4j", "kernels"));
    }

    public String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
            check(CudaDriver.call("nvrtcVersion", () -> (int) version.invokeExact(major, minor)), "nvrtcVersion");
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        }
    }

    @Override
    public byte[] compile(String source, String name, int computeCapability) {
        String arch = "--gpu-architecture=sm_" + computeCapability;
        Path cached = cacheDir.resolve(hash(source + '\0' + arch + '\0' + OPTIONS + '\0' + version()) + ".cubin");
        try {
            if (Files.isRegularFile(cached)) return Files.readAllBytes(cached);
        } catch (IOException unreadable) {
            // compile again below
        }
        byte[] image = compileNow(source, name, arch);
        try {
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, "cubin", ".tmp");
            Files.write(tmp, image);
            try {
                Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException notCached) {
            // a read-only home still runs, compiling each time
        }
        return image;
    }

    private byte[] compileNow(String source, String name, String arch) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment prog = a.allocate(ADDRESS);
            MemorySegment src = a.allocateFrom(source), nm = a.allocateFrom(name);
            check(CudaDriver.call("nvrtcCreateProgram", () -> (int) create.invokeExact(prog, src, nm, 0, MemorySegment.NULL,
                    MemorySegment.NULL)), "nvrtcCreateProgram");
            MemorySegment p = prog.get(ADDRESS, 0);
            try {
                List<String> opts = new java.util.ArrayList<>(OPTIONS);
                opts.add(arch);
                MemorySegment optv = a.allocate(ADDRESS, opts.size());
                for (int i = 0; i < opts.size(); i++) optv.setAtIndex(ADDRESS, i, a.allocateFrom(opts.get(i)));
                int rc = CudaDriver.call("nvrtcCompileProgram", () -> (int) compile.invokeExact(p, opts.size(), optv));
                if (rc != 0) throw new CudaException("NVRTC could not compile " + name + " for " + arch + ": " + error(rc) + "\n" + programLog(a, p));
                MemorySegment size = a.allocate(JAVA_LONG);
                check(CudaDriver.call("nvrtcGetCUBINSize", () -> (int) cubinSize.invokeExact(p, size)), "nvrtcGetCUBINSize");
                MemorySegment image = a.allocate(size.get(JAVA_LONG, 0));
                check(CudaDriver.call("nvrtcGetCUBIN", () -> (int) cubin.invokeExact(p, image)), "nvrtcGetCUBIN");
                return image.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            } finally {
                CudaDriver.call("nvrtcDestroyProgram", () -> (int) destroy.invokeExact(prog));
            }
        }
    }

    private String programLog(Arena a, MemorySegment p) {
        MemorySegment size = a.allocate(JAVA_LONG);
        if (CudaDriver.call("nvrtcGetProgramLogSize", () -> (int) logSize.invokeExact(p, size)) != 0) return "";
        MemorySegment text = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        if (CudaDriver.call("nvrtcGetProgramLog", () -> (int) log.invokeExact(p, text)) != 0) return "";
        return text.getString(0);
    }

    private String error(int rc) {
        try {
            MemorySegment s = (MemorySegment) errorString.invokeExact(rc);
            return s.equals(MemorySegment.NULL) ? "nvrtcResult " + rc : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "nvrtcResult " + rc;
        }
    }

    private void check(int rc, String call) {
        if (rc != 0) throw new CudaException(call + " failed: " + error(rc));
    }

    static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
