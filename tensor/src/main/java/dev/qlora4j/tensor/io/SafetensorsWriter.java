package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes tensors in the safetensors format, byte for byte as the reference writer
 * (huggingface/safetensors {@code serialize}) lays them out: tensors sorted by dtype, highest
 * {@link SafetensorsDtype} ordinal first, then by name in code-point order (Rust compares the UTF-8
 * bytes, which orders like code points, not like Java's UTF-16 {@code compareTo}); data packed
 * back to back from offset 0; header as {@link HeaderJson} writes it. Metadata is written in the
 * map's iteration order: the reference takes a hash map, so its own order varies from run to run,
 * and a {@link java.util.LinkedHashMap} read from a file reproduces that file's order.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    private static final int STAGE_BYTES = 1 << 20;

    /** Unicode code point order, which is the UTF-8 byte order Rust sorts names by. */
    static final Comparator<String> CODE_POINT_ORDER = CodePoints.ORDER;

    private record Layout(byte[] header, List<Map.Entry<String, Tensor>> tensors, long dataBytes) {
        long fileBytes() {
            return SafetensorsFile.LENGTH_FIELD_BYTES + header.length + dataBytes;
        }
    }

    @FunctionalInterface
    private interface Sink {
        void write(MemorySegment source, long offset, long length) throws IOException;
    }

    /**
     * Writes {@code tensors} to {@code file} atomically: into a new file in the same folder, flushed
     * to disk, then renamed over the target, so readers (and mappings of the old file, which keep
     * the old inode) never see a half-written file.
     *
     * @param metadata the {@code __metadata__} strings; null writes no {@code __metadata__} entry,
     *                 an empty map writes an empty one (as the reference does for None and {})
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Layout layout = layout(tensors, metadata);
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer stage = ByteBuffer.allocate(STAGE_BYTES);
                MemorySegment stageSegment = MemorySegment.ofBuffer(stage);
                emit(layout, (src, offset, length) -> {
                    for (long done = 0; done < length; ) {
                        int n = (int) Math.min(STAGE_BYTES, length - done);
                        MemorySegment.copy(src, offset + done, stageSegment, 0, n);
                        stage.clear().limit(n);
                        while (stage.hasRemaining()) ch.write(stage);
                        done += n;
                    }
                });
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The file's bytes in memory (for small files and tests); same layout as {@link #write}. */
    public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
        Layout layout = layout(tensors, metadata);
        if (layout.fileBytes() > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("safetensors file of " + layout.fileBytes() + " bytes does not fit a byte[]");
        byte[] out = new byte[(int) layout.fileBytes()];
        MemorySegment dst = MemorySegment.ofArray(out);
        long[] at = {0};
        try {
            emit(layout, (src, offset, length) -> {
                MemorySegment.copy(src, offset, dst, at[0], length);
                at[0] += length;
            });
        } catch (IOException e) {
            throw new AssertionError("copying into memory does no I/O", e);
        }
        return out;
    }

    private static Layout layout(Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (metadata != null)
            metadata.forEach((k, v) -> {
                if (k == null || v == null) throw new IllegalArgumentException("metadata keys and values must not be null");
            });
        List<Map.Entry<String, Tensor>> sorted = new ArrayList<>(tensors.entrySet());
        for (Map.Entry<String, Tensor> e : sorted) {
            if (e.getKey() == null || e.getValue() == null) throw new IllegalArgumentException("null tensor name or tensor");
            if (e.getKey().equals(HeaderParser.METADATA_KEY))
                throw new IllegalArgumentException("a tensor cannot be named " + HeaderParser.METADATA_KEY);
        }
        sorted.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> -SafetensorsDtype.of(e.getValue().dtype()).ordinal())
                .thenComparing(Map.Entry::getKey, CODE_POINT_ORDER));
        List<HeaderJson.Entry> entries = new ArrayList<>(sorted.size());
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted) {
            Tensor t = e.getValue();
            long bytes = Math.multiplyExact(t.numel(), t.dtype().byteSize());
            entries.add(new HeaderJson.Entry(e.getKey(), SafetensorsDtype.of(t.dtype()), t.shape(), offset, offset + bytes));
            offset += bytes;
        }
        byte[] header = HeaderJson.build(metadata, entries);
        if (header.length > SafetensorsFile.MAX_HEADER_BYTES)
            throw new IllegalArgumentException("header of " + header.length + " bytes is above the safetensors cap of "
                    + SafetensorsFile.MAX_HEADER_BYTES);
        return new Layout(header, sorted, offset);
    }

    private static void emit(Layout layout, Sink sink) throws IOException {
        byte[] length = new byte[SafetensorsFile.LENGTH_FIELD_BYTES];
        ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putLong(layout.header().length);
        sink.write(MemorySegment.ofArray(length), 0, length.length);
        sink.write(MemorySegment.ofArray(layout.header()), 0, layout.header().length);
        for (Map.Entry<String, Tensor> e : layout.tensors()) {
            Tensor t = e.getValue();
            if (t.numel() == 0) continue;
            // one tensor at a time, so at most one contiguous copy is alive
            Tensor c = t.isContiguous() ? t : ContiguousBytes.copy(t);
            long elementBytes = c.dtype().byteSize();
            sink.write(c.segment(), c.offset() * elementBytes, c.numel() * elementBytes);
        }
    }
}
