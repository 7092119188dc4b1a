package dev.qlora4j.train.report;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Takes {@link MemorySnapshot}s: RSS from /proc/self/status where it exists, the JVM's heap and
 * buffer pools from its management beans, and each accelerator through its {@link MemoryProbe}.
 * Native memory allocated through FFM arenas (not mapped) is visible to none of these; a backend
 * that allocates so reports it through a probe.
 */
public final class MemoryMonitor {
    private static final Path PROC_STATUS = Path.of("/proc/self/status");

    private final List<MemoryProbe> probes;
    private final Path procStatus;

    public MemoryMonitor() {
        this(List.of());
    }

    public MemoryMonitor(List<MemoryProbe> probes) {
        this(probes, PROC_STATUS);
    }

    MemoryMonitor(List<MemoryProbe> probes, Path procStatus) {
        this.probes = List.copyOf(probes);
        this.procStatus = procStatus;
    }

    public MemorySnapshot sample() {
        Map<String, Long> status = procStatus();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long mapped = 0, direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            long used = Math.max(0, pool.getMemoryUsed());
            // "mapped" and "mapped - 'non-volatile memory'" (files on persistent memory) are both mappings
            if (pool.getName().startsWith("mapped")) mapped += used;
            else if (pool.getName().equals("direct")) direct += used;
        }
        Map<String, MemoryProbe.DeviceMemory> devices = new LinkedHashMap<>();
        for (MemoryProbe probe : probes) probe.sample().ifPresent(m -> devices.put(probe.device(), m));
        return new MemorySnapshot(optional(status.get("VmRSS")), optional(status.get("VmHWM")),
                heap.getUsed(), heap.getCommitted(), mapped, direct, devices);
    }

    /** The "kB" lines of a /proc status file, in bytes; empty when the file is absent or unreadable. */
    private Map<String, Long> procStatus() {
        Map<String, Long> out = new LinkedHashMap<>();
        List<String> lines;
        try {
            if (!Files.isReadable(procStatus)) return out;
            lines = Files.readAllLines(procStatus);
        } catch (IOException | RuntimeException e) {
            return out;
        }
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String[] value = line.substring(colon + 1).trim().split("\\s+");
            if (value.length != 2 || !value[1].equals("kB") || !value[0].matches("\\d{1,15}")) continue;
            out.put(line.substring(0, colon), Long.parseLong(value[0]) * 1024);
        }
        return out;
    }

    private static OptionalLong optional(Long v) {
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }
}
