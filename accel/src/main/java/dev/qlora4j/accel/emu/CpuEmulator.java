package dev.qlora4j.accel.emu;

import dev.qlora4j.accel.CudaBindings;
import dev.qlora4j.accel.KernelSources;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Builds the CPU emulator of the GPU: the kernels' CUDA C compiled by the host C++ compiler after
 * {@code cuda_emu.h}, with a table of the kernels and the driver-API / cuBLAS entry points the
 * backend binds ({@code cuda_emu_api.h}), as one shared library. {@link CudaBindings#emulated}
 * opens it, and the real {@link dev.qlora4j.accel.CudaDevice} code drives it, so kernel semantics
 * and the host side (arguments, grids, GEMM layouts, allocator) are tested where no GPU is.
 */
public final class CpuEmulator {
    private CpuEmulator() {}

    /** A file whose kernels synchronise their threads (directly or through the prelude's block reductions). */
    private static final Pattern COOPERATIVE = Pattern.compile("__syncthreads|__shfl|block_sum|block_max|warp_sum|warp_max");

    private static Optional<Path> built;
    private static String failure = "";

    /** The emulator's bindings, or empty (with {@link #whyNot}) when no C++20 compiler is on the PATH. */
    public static synchronized Optional<CudaBindings> bindings() {
        if (built == null) built = build();
        return built.map(CudaBindings::emulated);
    }

    public static synchronized String whyNot() {
        return failure;
    }

    /** The translation unit: emulator header, kernels, kernel table, exported API. */
    public static String source() {
        String module = KernelSources.module();
        StringBuilder s = new StringBuilder(KernelSources.read("emu/cuda_emu.h")).append('\n').append(module).append('\n');
        s.append("static const std::map<std::string, emu::Entry> emu_table = {\n");
        for (String file : KernelSources.FILES) {
            String text = KernelSources.read("kernels/" + file);
            boolean cooperative = COOPERATIVE.matcher(text).find();
            for (String k : KernelSources.kernelNames(text))
                s.append("    {\"").append(k).append("\", {[](void** a) { emu::call(").append(k).append(", a); }, ")
                        .append(cooperative).append("}},\n");
        }
        s.append("};\n");
        s.append("const emu::Entry* emu_kernel(const char* name) {\n"
                + "    auto it = emu_table.find(name);\n"
                + "    return it == emu_table.end() ? nullptr : &it->second;\n"
                + "}\n");
        s.append(KernelSources.read("emu/cuda_emu_api.h"));
        return s.toString();
    }

    private static Optional<Path> build() {
        String cxx = System.getenv().getOrDefault("CXX", "g++");
        String src = source();
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "qlora4j-emu");
        Path lib = dir.resolve("libcudaemu-" + hash(src + cxx).substring(0, 16) + ".so");
        if (Files.isRegularFile(lib)) return Optional.of(lib);
        try {
            Files.createDirectories(dir);
            Path cpp = Files.createTempFile(dir, "emu", ".cpp"), out = Files.createTempFile(dir, "emu", ".so");
            Files.writeString(cpp, src);
            Path log = Files.createTempFile(dir, "emu", ".log");
            Process p = new ProcessBuilder(List.of(cxx, "-std=c++20", "-O1", "-fPIC", "-shared", "-ffp-contract=off", "-pthread",
                    "-w", "-o", out.toString(), cpp.toString())).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                failure = cxx + " took over 300 s";
                return Optional.empty();
            }
            if (p.exitValue() != 0) {
                failure = cxx + " failed on the emulator source " + cpp + ":\n" + Files.readString(log);
                return Optional.empty();
            }
            Files.move(out, lib, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.deleteIfExists(cpp);
            Files.deleteIfExists(log);
            return Optional.of(lib);
        } catch (IOException e) {
            failure = "no C++ compiler (" + cxx + "): " + e.getMessage();
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
            return Optional.empty();
        }
    }

    private static String hash(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
