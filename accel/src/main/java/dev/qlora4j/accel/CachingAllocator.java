package dev.qlora4j.accel;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Device memory as PyTorch's caching allocator hands it out: sizes rounded up to a bucket (512
 * bytes below 1 MiB, 2 MiB above), a freed block kept for the next request of its bucket instead
 * of going back to the driver (cuMemFree synchronises the device), and everything cached given
 * back at once by {@link #emptyCache} or when the driver runs out of memory (then the request is
 * tried once more). Counts: allocated (blocks in use), reserved (in use + cached), and their peaks.
 */
public final class CachingAllocator {
    static final long SMALL = 1L << 20, SMALL_ROUND = 512, LARGE_ROUND = 2L << 20;
    private static final int CUDA_ERROR_OUT_OF_MEMORY = 2;

    private final CudaDriver driver;
    private final TreeMap<Long, ArrayDeque<Long>> cached = new TreeMap<>();
    private final Map<Long, Long> inUse = new HashMap<>();   // address → bucket size
    private long allocated, reserved, peakAllocated, peakReserved;

    CachingAllocator(CudaDriver driver) {
        this.driver = driver;
    }

    static long bucket(long bytes) {
        if (bytes <= 0) return SMALL_ROUND;
        long round = bytes < SMALL ? SMALL_ROUND : LARGE_ROUND;
        return (bytes + round - 1) / round * round;
    }

    public DeviceBuffer allocate(long bytes) {
        long size = bucket(bytes);
        ArrayDeque<Long> free = cached.get(size);
        long address;
        if (free != null && !free.isEmpty()) {
            address = free.pop();
        } else {
            long[] out = new long[1];
            int rc = driver.tryMemAlloc(size, out);
            if (rc == CUDA_ERROR_OUT_OF_MEMORY && reserved > allocated) {
                emptyCache();
                rc = driver.tryMemAlloc(size, out);
            }
            if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
                long[] info = driver.memInfo();
                throw new CudaOutOfMemoryException("out of GPU memory: asked for " + mib(size) + " MiB with " + mib(allocated)
                        + " MiB in use and " + mib(info[0]) + " MiB free of " + mib(info[1]) + " MiB");
            }
            driver.check(rc, "cuMemAlloc(" + size + " bytes)");
            address = out[0];
            reserved += size;
            peakReserved = Math.max(peakReserved, reserved);
        }
        inUse.put(address, size);
        allocated += size;
        peakAllocated = Math.max(peakAllocated, allocated);
        return new DeviceBuffer(address, bytes);
    }

    public void free(DeviceBuffer buffer) {
        Long size = inUse.remove(buffer.address());
        if (size == null) throw new IllegalArgumentException("device buffer " + Long.toHexString(buffer.address()) + " is not in use (freed twice?)");
        allocated -= size;
        cached.computeIfAbsent(size, s -> new ArrayDeque<>()).push(buffer.address());
    }

    /** Gives every cached (free) block back to the driver. */
    public void emptyCache() {
        for (var e : cached.entrySet()) {
            for (long address : e.getValue()) {
                driver.memFree(address);
                reserved -= e.getKey();
            }
        }
        cached.clear();
    }

    /** Frees everything, in use or cached (closing the device). */
    void releaseAll() {
        for (var e : inUse.entrySet()) driver.memFree(e.getKey());
        allocated = 0;
        reserved -= inUse.values().stream().mapToLong(Long::longValue).sum();
        inUse.clear();
        emptyCache();
    }

    public long allocatedBytes() {
        return allocated;
    }

    public long reservedBytes() {
        return reserved;
    }

    public long peakAllocatedBytes() {
        return peakAllocated;
    }

    public long peakReservedBytes() {
        return peakReserved;
    }

    public void resetPeaks() {
        peakAllocated = allocated;
        peakReserved = reserved;
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
