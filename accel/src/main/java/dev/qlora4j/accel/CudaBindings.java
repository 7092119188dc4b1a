package dev.qlora4j.accel;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Where a {@link CudaDevice} gets its driver, its GEMMs and its kernel images: the machine's CUDA
 * libraries, or the CPU emulator, which exports the same driver and cuBLAS entry points from one
 * library and has the kernels compiled in (so the "image" is the source itself).
 */
public final class CudaBindings {
    final Native.Library driver, cublas;
    final KernelCompiler compiler;

    private CudaBindings(Native.Library driver, Native.Library cublas, KernelCompiler compiler) {
        this.driver = driver;
        this.cublas = cublas;
        this.compiler = compiler;
    }

    /**
     * libcuda.so.1, libcublas.so.13 and libnvrtc.so.13 (or 12) from the loader's path. Fails with a
     * {@link CudaUnavailableException} naming what is missing.
     */
    public static CudaBindings system() {
        String override = System.getenv("QLORA4J_CUDA_DRIVER");
        String noDriver = "no NVIDIA driver on this machine (--device cuda needs one; use --device cpu)";
        Native.Library driver = override != null ? Native.openFile(noDriver, Path.of(override)) : Native.open(noDriver, "libcuda.so.1", "libcuda.so");
        Native.Library cublas = Native.open("cuBLAS is missing (install the CUDA toolkit's libcublas, or point QLORA4J_CUDA_LIBS at it)",
                Native.searchDirs(), java.util.List.of("libcublasLt.so.13", "libcublasLt.so.12"),
                "libcublas.so.13", "libcublas.so.12", "libcublas.so");
        return new CudaBindings(driver, cublas, Nvrtc.system());
    }

    /** The CPU emulator built at {@code library} (see dev.qlora4j.accel.emu.CpuEmulator). */
    public static CudaBindings emulated(Path library) {
        Native.Library lib = Native.openFile("the CPU emulator library", library);
        return new CudaBindings(lib, lib, (source, name, cc) -> source.getBytes(StandardCharsets.UTF_8));
    }
}
