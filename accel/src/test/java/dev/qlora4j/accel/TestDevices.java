package dev.qlora4j.accel;

import dev.qlora4j.accel.emu.CpuEmulator;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The devices a test runs on: the CPU emulator (wherever g++ is) and the real GPU (where
 * libcuda.so.1 opens and finds one). A test asks for each; one that is not here skips the test.
 */
final class TestDevices {
    private TestDevices() {}

    static final String EMULATOR = "emulator", GPU = "gpu";
    private static String gpuMissing;

    static Stream<String> kinds() {
        return Stream.of(EMULATOR, GPU);
    }

    /** Opens the device of that kind on this thread, or skips the test. */
    static CudaDevice open(String kind) {
        if (kind.equals(EMULATOR)) {
            var b = CpuEmulator.bindings();
            assumeTrue(b.isPresent(), () -> "no CPU emulator: " + CpuEmulator.whyNot());
            return CudaDevice.open(b.get(), 0);
        }
        assumeTrue(gpuMissing == null, () -> "no GPU: " + gpuMissing);
        try {
            return CudaDevice.open();
        } catch (CudaUnavailableException e) {
            gpuMissing = e.getMessage();
            assumeTrue(false, () -> "no GPU: " + e.getMessage());
            throw e;
        }
    }
}
