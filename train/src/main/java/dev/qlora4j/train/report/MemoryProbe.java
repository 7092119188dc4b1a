package dev.qlora4j.train.report;

import java.util.Optional;

/**
 * Memory figures of an accelerator, implemented by a GPU backend (allocated, reserved by its
 * caching allocator, peak allocated: what torch.cuda reports). The CPU path has none, and the
 * memory log then shows no device line rather than made-up numbers.
 */
public interface MemoryProbe {
    /** Figures in bytes. */
    record DeviceMemory(long allocatedBytes, long reservedBytes, long peakAllocatedBytes) {}

    /** A short name for the log and the TensorBoard tags, e.g. {@code cuda:0}. */
    String device();

    /** Current figures; empty when the device cannot tell now. */
    Optional<DeviceMemory> sample();
}
