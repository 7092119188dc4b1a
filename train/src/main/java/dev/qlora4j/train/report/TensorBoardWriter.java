package dev.qlora4j.train.report;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes scalars to a TensorBoard event file without TensorFlow: TFRecords ({@link TfRecordWriter})
 * holding hand-encoded {@code tensorboard.Event} protos. The first record carries
 * {@code file_version "brain.Event:2"}, each later one a {@code Summary} of scalar values
 * ({@code simple_value}, a float32, which TensorBoard's scalars plugin reads as it reads PyTorch's
 * {@code add_scalar}).
 *
 * <p>Event proto fields used: {@code wall_time} 1 (double), {@code step} 2 (int64),
 * {@code file_version} 3 (string), {@code summary} 5, {@code source_metadata} 10
 * ({@code writer} 1); {@code Summary.value} 1; {@code Summary.Value.tag} 1 (string),
 * {@code simple_value} 2 (float).
 */
public final class TensorBoardWriter implements Closeable {
    public static final String FILE_VERSION = "brain.Event:2";
    static final String WRITER_NAME = "qlora4j";

    // PyTorch's writer numbers its files per process too, so two writers started in the same second
    // never share a name
    private static final AtomicInteger FILE_COUNTER = new AtomicInteger();

    private final Path file;
    private final InstantSource clock;
    private final OutputStream stream;
    private final TfRecordWriter records;
    private boolean closed;

    /** Creates {@code logDir} if needed and a new event file in it; the header record is flushed at once. */
    public TensorBoardWriter(Path logDir) throws IOException {
        this(logDir, InstantSource.system());
    }

    public TensorBoardWriter(Path logDir, InstantSource clock) throws IOException {
        this.clock = clock;
        Files.createDirectories(logDir);
        Instant now = clock.instant();
        this.file = logDir.resolve(fileName(now.getEpochSecond(), hostName(), ProcessHandle.current().pid(),
                FILE_COUNTER.getAndIncrement()));
        this.stream = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE));
        this.records = new TfRecordWriter(stream);
        ProtoEncoder source = new ProtoEncoder().stringField(1, WRITER_NAME);
        records.write(event(now, 0).stringField(3, FILE_VERSION).messageField(10, source).toByteArray());
        stream.flush();
    }

    /**
     * The name TensorBoard's own and PyTorch's writers give an event file:
     * {@code events.out.tfevents.<10-digit unix seconds>.<host>.<pid>.<counter>}. TensorBoard
     * finds files by the {@code tfevents} part and reads a directory's files in name order, which
     * the zero-padded time keeps chronological.
     */
    static String fileName(long epochSecond, String host, long pid, int counter) {
        return String.format(Locale.ROOT, "events.out.tfevents.%010d.%s.%d.%d", epochSecond, host, pid, counter);
    }

    public Path file() {
        return file;
    }

    /** One event with one value: what PyTorch's {@code add_scalar(tag, value, step)} writes. */
    public synchronized void scalar(String tag, double value, long step) throws IOException {
        ensureOpen();
        records.write(event(clock.instant(), step).messageField(5, summary(Map.of(tag, value))).toByteArray());
    }

    /** One event holding every value, in the map's iteration order; an empty map writes nothing. */
    public synchronized void scalars(Map<String, ? extends Number> values, long step) throws IOException {
        ensureOpen();
        if (values.isEmpty()) return;
        records.write(event(clock.instant(), step).messageField(5, summary(values)).toByteArray());
    }

    /** Hands buffered records to the file, so that a running TensorBoard sees them. */
    public synchronized void flush() throws IOException {
        ensureOpen();
        stream.flush();
    }

    /** Flushes and closes the file; closing again does nothing. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        stream.close();
    }

    private void ensureOpen() throws IOException {
        if (closed) throw new IOException("TensorBoard event file already closed (" + file + ")");
    }

    private static ProtoEncoder event(Instant time, long step) {
        ProtoEncoder event = new ProtoEncoder();
        double wallTime = time.getEpochSecond() + time.getNano() / 1e9;
        if (wallTime != 0) event.doubleField(1, wallTime);
        if (step != 0) event.int64Field(2, step);
        return event;
    }

    private static ProtoEncoder summary(Map<String, ? extends Number> values) {
        ProtoEncoder summary = new ProtoEncoder();
        values.forEach((tag, v) -> {
            // simple_value sits in a oneof, so unlike a plain proto3 field it is written even when 0
            ProtoEncoder value = new ProtoEncoder().stringField(1, tag).floatField(2, v.floatValue());
            summary.messageField(1, value);
        });
        return summary;
    }

    /** The host name as Python's socket.gethostname() gives it, made safe for a file name. */
    static String hostName() {
        String name = null;
        try {
            Path proc = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(proc)) name = Files.readString(proc).strip();
        } catch (IOException | RuntimeException ignored) {
            // fall back to the resolver below
        }
        if (name == null || name.isEmpty()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (IOException | RuntimeException e) {
                name = "localhost";
            }
        }
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "localhost" : safe;
    }
}
