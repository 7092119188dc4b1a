package dev.qlora4j.accel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernel module compiles as real CUDA for Hopper (sm_90) with the toolkit's nvcc, where one is
 * installed (the emulator compiles it as C++, which is laxer): catches what only the CUDA front
 * end refuses before a GPU session does. Skipped without nvcc (CI has none).
 */
class NvccCompileTest {
    @Test
    void theKernelModuleCompilesForSm90(@TempDir Path tmp) throws IOException, InterruptedException {
        Path nvcc = Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"), "bin", "nvcc");
        assumeTrue(Files.isExecutable(nvcc), "no nvcc at " + nvcc);
        Path src = Files.writeString(tmp.resolve("kernels.cu"), KernelSources.module()), out = tmp.resolve("kernels.cubin");
        Process p = new ProcessBuilder(nvcc.toString(), "-cubin", "-arch=sm_90", "-std=c++17", "-Werror", "all-warnings",
                "-o", out.toString(), src.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        assertThat(Files.size(out)).isPositive();
    }
}
