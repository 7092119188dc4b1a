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
    private final java.util.function.Supplier<Native.Library> ncclLibrary;
    private Native.Library nccl;

    private CudaBindings(Native.Library driver, Native.Library cublas, KernelCompiler compiler,
                         java.util.function.Supplier<Native.Library> nccl) {
        this.driver = driver;
        this.cublas = cublas;
        this.compiler = compiler;
        this.ncclLibrary = nccl;
    }

    /** NCCL, opened on first use (only distributed runs need it): libnccl.so.2, or the emulator's MPI-backed one. */
    synchronized Native.Library nccl() {
        if (nccl == null) nccl = ncclLibrary.get();
        return nccl;
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
        return new CudaBindings(driver, cublas, Nvrtc.system(), () -> Native.open(
                "NCCL is missing (training on several GPUs needs libnccl.so.2: NVIDIA's libnccl2 package, or PyTorch's pip nvidia-nccl)",
                "libnccl.so.2", "libnccl.so"));
    }

    /** The CPU emulator built at {@code library} (see dev.qlora4j.accel.emu.CpuEmulator). */
    public static CudaBindings emulated(Path library) {
        Native.Library lib = Native.openFile("the CPU emulator library", library);
        return new CudaBindings(lib, lib, (source, name, cc) -> source.getBytes(StandardCharsets.UTF_8), () -> lib);
    }
}
