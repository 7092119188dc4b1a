package dev.qlora4j.train.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MemoryMonitorTest {
    @TempDir
    Path dir;

    @Test
    void readsRssAndItsPeakFromAProcStatusFile() throws IOException {
        Path status = dir.resolve("status");
        Files.writeString(status, """
                Name:\tjava
                VmPeak:\t 9000000 kB
                VmHWM:\t  200000 kB
                VmRSS:\t  123456 kB
                Threads:\t42
                VmSwap:\t garbage kB
                """);
        MemorySnapshot s = new MemoryMonitor(List.of(), status).sample();
        assertThat(s.rssBytes()).hasValue(123456L * 1024);
        assertThat(s.peakRssBytes()).hasValue(200000L * 1024);
        assertThat(s.scalars()).containsEntry("memory/rss_mib", 123456 / 1024.0).containsEntry("memory/rss_peak_mib", 200000 / 1024.0);
        assertThat(s.summary()).startsWith("memory: rss 121 MiB (peak 195 MiB) | heap ");
    }

    @Test
    void withoutProcTheRssIsAbsentNotZero() {
        MemorySnapshot s = new MemoryMonitor(List.of(), dir.resolve("no-such-file")).sample();
        assertThat(s.rssBytes()).isEmpty();
        assertThat(s.scalars()).doesNotContainKeys("memory/rss_mib", "memory/rss_peak_mib")
                .containsKeys("memory/heap_used_mib", "memory/heap_committed_mib", "memory/mapped_mib", "memory/direct_mib");
        assertThat(s.summary()).startsWith("memory: heap ").doesNotContain("rss");
        assertThat(s.heapUsedBytes()).isPositive().isLessThanOrEqualTo(s.heapCommittedBytes());
    }

    @Test
    void theRealProcessHasAnRssOnLinux() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "no /proc here");
        MemorySnapshot s = new MemoryMonitor().sample();
        assertThat(s.rssBytes()).isPresent();
        assertThat(s.rssBytes().getAsLong()).isPositive().isLessThanOrEqualTo(s.peakRssBytes().orElseThrow());
    }

    @Test
    void memoryMappedWeightsCountAsMapped() throws IOException {
        Path file = dir.resolve("weights.bin");
        Files.write(file, new byte[4 << 20]);
        MemoryMonitor monitor = new MemoryMonitor();
        long before = monitor.sample().mappedBytes();
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            assertThat(mapped.byteSize()).isEqualTo(4 << 20);
            assertThat(monitor.sample().mappedBytes() - before).isGreaterThanOrEqualTo(4 << 20);
        }
    }

    @Test
    void devicesAppearOnlyWhenTheirProbeReports() {
        MemoryProbe gpu = probe("cuda:0", Optional.of(new MemoryProbe.DeviceMemory(1L << 30, 3L << 29, 5L << 28)));
        MemoryProbe silent = probe("cuda:1", Optional.empty());
        MemorySnapshot s = new MemoryMonitor(List.of(gpu, silent), dir.resolve("none")).sample();
        assertThat(s.devices()).containsOnlyKeys("cuda:0");
        assertThat(s.scalars()).containsEntry("memory/cuda0_allocated_mib", 1024.0)
                .containsEntry("memory/cuda0_reserved_mib", 1536.0)
                .containsEntry("memory/cuda0_peak_allocated_mib", 1280.0)
                .doesNotContainKey("memory/cuda1_allocated_mib");
        assertThat(s.summary()).endsWith(" | cuda:0 allocated 1.00 GiB, reserved 1.50 GiB, peak 1.25 GiB");
        MemorySnapshot cpuOnly = new MemoryMonitor(List.of(), dir.resolve("none")).sample();
        assertThat(cpuOnly.scalars().keySet()).noneMatch(k -> k.contains("allocated") || k.contains("reserved"));
    }

    @Test
    void formatsByteCountsInBinaryUnits() {
        assertThat(MemorySnapshot.bytes(0)).isEqualTo("0 B");
        assertThat(MemorySnapshot.bytes(1023)).isEqualTo("1023 B");
        assertThat(MemorySnapshot.bytes(1024)).isEqualTo("1.00 KiB");
        assertThat(MemorySnapshot.bytes(12 * 1024 + 512)).isEqualTo("12.5 KiB");
        assertThat(MemorySnapshot.bytes(300L << 20)).isEqualTo("300 MiB");
        assertThat(MemorySnapshot.bytes(Long.MAX_VALUE)).isEqualTo("8.00 EiB");
    }

    private static MemoryProbe probe(String name, Optional<MemoryProbe.DeviceMemory> reading) {
        return new MemoryProbe() {
            @Override
            public String device() {
                return name;
            }

            @Override
            public Optional<DeviceMemory> sample() {
                return reading;
            }
        };
    }
}
