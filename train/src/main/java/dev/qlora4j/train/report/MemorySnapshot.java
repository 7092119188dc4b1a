package dev.qlora4j.train.report;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.StringJoiner;

/**
 * One reading of the process's memory, in bytes.
 *
 * @param rssBytes           resident set size (Linux /proc/self/status VmRSS); empty elsewhere
 * @param peakRssBytes       its high-water mark (VmHWM); empty elsewhere
 * @param heapUsedBytes      Java heap in use: tensors we allocate are Java arrays and live here
 * @param heapCommittedBytes Java heap the JVM holds from the OS
 * @param mappedBytes        memory-mapped files (safetensors weights opened through FFM count here)
 * @param directBytes        NIO direct buffers
 * @param devices            accelerator figures by device name, only those a {@link MemoryProbe} reported
 */
public record MemorySnapshot(OptionalLong rssBytes, OptionalLong peakRssBytes, long heapUsedBytes, long heapCommittedBytes,
                             long mappedBytes, long directBytes, Map<String, MemoryProbe.DeviceMemory> devices) {
    private static final double MIB = 1024.0 * 1024.0;

    public MemorySnapshot {
        devices = Map.copyOf(new LinkedHashMap<>(devices));
    }

    /** TensorBoard scalars in MiB under {@code memory/}; absent readings are left out. */
    public Map<String, Double> scalars() {
        Map<String, Double> m = new LinkedHashMap<>();
        rssBytes.ifPresent(b -> m.put("memory/rss_mib", b / MIB));
        peakRssBytes.ifPresent(b -> m.put("memory/rss_peak_mib", b / MIB));
        m.put("memory/heap_used_mib", heapUsedBytes / MIB);
        m.put("memory/heap_committed_mib", heapCommittedBytes / MIB);
        m.put("memory/mapped_mib", mappedBytes / MIB);
        m.put("memory/direct_mib", directBytes / MIB);
        devices.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String prefix = "memory/" + e.getKey().replaceAll("[^A-Za-z0-9_]", "") + "_";
            m.put(prefix + "allocated_mib", e.getValue().allocatedBytes() / MIB);
            m.put(prefix + "reserved_mib", e.getValue().reservedBytes() / MIB);
            m.put(prefix + "peak_allocated_mib", e.getValue().peakAllocatedBytes() / MIB);
        });
        return m;
    }

    /** One log line, e.g. {@code memory: rss 1.21 GiB (peak 1.30 GiB) | heap 312.0 MiB / 512.0 MiB | mapped 4.10 GiB | direct 0 B}. */
    public String summary() {
        StringJoiner line = new StringJoiner(" | ", "memory: ", "");
        if (rssBytes.isPresent()) {
            line.add("rss " + bytes(rssBytes.getAsLong())
                    + (peakRssBytes.isPresent() ? " (peak " + bytes(peakRssBytes.getAsLong()) + ")" : ""));
        }
        line.add("heap " + bytes(heapUsedBytes) + " / " + bytes(heapCommittedBytes));
        line.add("mapped " + bytes(mappedBytes));
        line.add("direct " + bytes(directBytes));
        devices.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> line.add(e.getKey()
                + " allocated " + bytes(e.getValue().allocatedBytes())
                + ", reserved " + bytes(e.getValue().reservedBytes())
                + ", peak " + bytes(e.getValue().peakAllocatedBytes())));
        return line.toString();
    }

    /** Binary units with three significant digits or so: 0 B, 512 B, 12.0 KiB, 1.21 GiB. */
    static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
    }
}
