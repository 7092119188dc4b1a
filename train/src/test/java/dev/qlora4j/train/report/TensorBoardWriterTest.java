package dev.qlora4j.train.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorBoardWriterTest {
    private static final Path REFERENCE = Path.of("src", "test", "resources", "tensorboard", "reference_events.tfevents");

    @TempDir
    Path dir;

    /** The events of make_reference_events.py, in the same order. */
    private record Written(Instant time, long step, Map<String, Double> values) {}

    private static List<Written> referenceEvents() {
        List<Written> events = new ArrayList<>();
        events.add(new Written(at(1767225600, 250_000_000), 1, values("train/loss", 2.5)));
        events.add(new Written(at(1767225601, 500_000_000), 10, values("train/learning_rate", 2e-4, "train/grad_norm", 0.75)));
        events.add(new Written(at(1767225602, 0), (1L << 33) + 5, values("eval/loss", 0.0, "eval/perplexity", -0.0)));
        events.add(new Written(at(1767225603, 0), -1, values("memory/rss_mib", 1234.5, "日本語/タグ", 3.0e38)));
        events.add(new Written(at(1767225604, 0), 0, values("train/loss", Double.NaN, "train/epoch", Double.POSITIVE_INFINITY)));
        return events;
    }

    @Test
    void writesTheBytesOfTensorboardsOwnSerializerAndRecordWriter() throws IOException {
        List<Written> events = referenceEvents();
        List<Instant> times = new ArrayList<>();
        times.add(at(1767225599, 0));
        events.forEach(e -> times.add(e.time()));
        Path file;
        try (TensorBoardWriter tb = new TensorBoardWriter(dir, clock(times))) {
            for (Written e : events) {
                if (e.values().size() == 1) {
                    var only = e.values().entrySet().iterator().next();
                    tb.scalar(only.getKey(), only.getValue(), e.step());
                } else {
                    tb.scalars(e.values(), e.step());
                }
            }
            file = tb.file();
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(Files.readAllBytes(REFERENCE));
        assertThat(file.getFileName().toString()).isEqualTo("events.out.tfevents.1767225599."
                + TensorBoardWriter.hostName() + "." + ProcessHandle.current().pid() + "." + counterOf(file));
    }

    @Test
    void everyFieldReadsBackThroughAnIndependentParser() throws IOException {
        List<Written> events = referenceEvents();
        // the reader is first checked on the file tensorboard itself wrote
        for (byte[] file : List.of(Files.readAllBytes(REFERENCE), Files.readAllBytes(writeWithRealClock(events)))) {
            List<EventFileReader.Event> read = EventFileReader.read(file);
            assertThat(read).hasSize(events.size() + 1);
            EventFileReader.Event header = read.get(0);
            assertThat(header.fileVersion()).isEqualTo("brain.Event:2");
            assertThat(header.sourceWriter()).isEqualTo("qlora4j");
            assertThat(header.step()).isZero();
            assertThat(header.values()).isEmpty();
            for (int i = 0; i < events.size(); i++) {
                Written w = events.get(i);
                EventFileReader.Event e = read.get(i + 1);
                assertThat(e.fileVersion()).isNull();
                assertThat(e.step()).isEqualTo(w.step());
                List<EventFileReader.Value> expected = new ArrayList<>();
                w.values().forEach((tag, v) -> expected.add(new EventFileReader.Value(tag, v.floatValue())));
                assertThat(e.values()).isEqualTo(expected);
            }
        }
    }

    @Test
    void wallTimesComeFromTheClockAndAreNonDecreasing() throws IOException {
        double before = System.currentTimeMillis() / 1000.0;
        Path file = writeWithRealClock(referenceEvents());
        double after = System.currentTimeMillis() / 1000.0;
        double previous = 0;
        for (EventFileReader.Event e : EventFileReader.read(Files.readAllBytes(file))) {
            assertThat(e.wallTime()).isBetween(before - 0.001, after + 0.001).isGreaterThanOrEqualTo(previous);
            previous = e.wallTime();
        }
        String name = file.getFileName().toString();
        assertThat(name).matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+\\.\\d+\\.\\d+");
        long seconds = Long.parseLong(name.split("\\.")[3]);
        assertThat(seconds).isBetween((long) before, (long) after);
    }

    @Test
    void flushMakesEventsVisibleWhileTheFileStaysOpen() throws IOException {
        try (TensorBoardWriter tb = new TensorBoardWriter(dir)) {
            assertThat(EventFileReader.read(Files.readAllBytes(tb.file()))).hasSize(1);
            tb.scalar("train/loss", 1.25, 5);
            tb.flush();
            List<EventFileReader.Event> read = EventFileReader.read(Files.readAllBytes(tb.file()));
            assertThat(read).hasSize(2);
            assertThat(read.get(1).values()).containsExactly(new EventFileReader.Value("train/loss", 1.25f));
            assertThat(read.get(1).step()).isEqualTo(5);
        }
    }

    @Test
    void twoWritersInTheSameSecondGetTheirOwnFiles() throws IOException {
        InstantSource fixed = InstantSource.fixed(at(1767225600, 0));
        try (TensorBoardWriter a = new TensorBoardWriter(dir, fixed); TensorBoardWriter b = new TensorBoardWriter(dir, fixed)) {
            assertThat(a.file()).isNotEqualTo(b.file());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).hasSize(2);
        }
    }

    @Test
    void theTestReaderRejectsACorruptedRecord() throws IOException {
        byte[] file = Files.readAllBytes(writeWithRealClock(referenceEvents()));
        byte[] badData = file.clone();
        badData[file.length - 6] ^= 1;
        assertThatThrownBy(() -> EventFileReader.read(badData)).hasMessageContaining("data CRC mismatch");
        byte[] badLength = file.clone();
        badLength[0] ^= 1;
        assertThatThrownBy(() -> EventFileReader.read(badLength)).hasMessageContaining("length CRC mismatch");
    }

    /** Writes the events with the system clock into a fresh folder; returns the event file. */
    private Path writeWithRealClock(List<Written> events) throws IOException {
        try (TensorBoardWriter tb = new TensorBoardWriter(Files.createTempDirectory(dir, "run"))) {
            for (Written e : events) tb.scalars(e.values(), e.step());
            return tb.file();
        }
    }

    private static String counterOf(Path file) {
        String name = file.getFileName().toString();
        return name.substring(name.lastIndexOf('.') + 1);
    }

    private static InstantSource clock(List<Instant> times) {
        Iterator<Instant> it = times.iterator();
        return () -> it.next();
    }

    private static Instant at(long seconds, int nanos) {
        return Instant.ofEpochSecond(seconds, nanos);
    }

    private static Map<String, Double> values(Object... tagsAndValues) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < tagsAndValues.length; i += 2) m.put((String) tagsAndValues[i], ((Number) tagsAndValues[i + 1]).doubleValue());
        return m;
    }
}
