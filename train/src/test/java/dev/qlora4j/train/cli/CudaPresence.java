package dev.qlora4j.train.cli;

import dev.qlora4j.accel.CudaBindings;
import dev.qlora4j.accel.CudaUnavailableException;

/** Whether this machine has the CUDA libraries (so a --device cuda error test would not hold). */
final class CudaPresence {
    private CudaPresence() {}

    static boolean driverPresent() {
        try {
            CudaBindings.system();
            return true;
        } catch (CudaUnavailableException e) {
            return false;
        }
    }
}
