package dev.qlora4j.test;

import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.CudaUnavailableException;
import dev.qlora4j.accel.emu.CpuEmulator;

import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The CUDA devices an end-to-end test runs on: the CPU emulator (needs g++) and a real GPU, each skipped where absent. */
final class GpuDevices {
    private GpuDevices() {}

    static final List<String> KINDS = List.of("emulator", "gpu");

    static CudaDevice open(String kind) {
        if (kind.equals("emulator")) {
            var b = CpuEmulator.bindings();
            assumeTrue(b.isPresent(), () -> "no CPU emulator: " + CpuEmulator.whyNot());
            return CudaDevice.open(b.get(), 0);
        }
        try {
            return CudaDevice.open();
        } catch (CudaUnavailableException e) {
            assumeTrue(false, () -> "no GPU: " + e.getMessage());
            throw e;
        }
    }
}
