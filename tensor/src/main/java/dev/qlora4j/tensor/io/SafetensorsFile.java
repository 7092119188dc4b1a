package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: the header is read and validated, then the whole file is
 * memory-mapped and {@link #tensor} returns zero-copy views of slices of the mapping.
 *
 * <p>Lifetime: the mapping belongs to a shared {@link Arena} (GEMM worker threads read weight
 * segments from threads other than the opener's). {@link #close()} unmaps it; afterwards every
 * tensor viewed from this file fails with {@link IllegalStateException} on access (the FFM
 * liveness check: no freed memory is ever read). Keep the file open as long as its tensors are
 * used, or take {@link #copyOf owned copies}. The file must not be modified while it is open.
 *
 * <p>The data is little-endian, as the format prescribes; the engine reads segments in the
 * platform's order, so this reader refuses to run on a big-endian machine.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation's cap on the header length. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    static final int LENGTH_FIELD_BYTES = 8;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final long dataStart;
    private final HeaderParser.Header header;
    private final Map<String, TensorInfo> byName = new HashMap<>();
    private final List<String> names;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, long dataStart, HeaderParser.Header header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.dataStart = dataStart;
        this.header = header;
        for (TensorInfo t : header.tensors()) byName.put(t.name(), t);
        this.names = header.tensors().stream().map(TensorInfo::name).toList();
    }

    /** Opens, validates and maps a file; bad content throws {@link SafetensorsException}. */
    public static SafetensorsFile open(Path path) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new UnsupportedOperationException("safetensors data is little-endian; this platform is not");
        if (Files.isDirectory(path)) throw SafetensorsException.in(path, "is a folder, not a safetensors file");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < LENGTH_FIELD_BYTES)
                throw SafetensorsException.in(path, "file of " + size + " bytes is shorter than the 8-byte header length");
            ByteBuffer lengthField = ByteBuffer.allocate(LENGTH_FIELD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lengthField, 0, path);
            long n = lengthField.getLong(0); // unsigned on disk: negative here means above 2^63
            if (n < 0 || n > MAX_HEADER_BYTES)
                throw SafetensorsException.in(path, "header length " + Long.toUnsignedString(n) + " is above the cap of "
                        + MAX_HEADER_BYTES + " bytes");
            long afterLength = size - LENGTH_FIELD_BYTES;
            if (n > afterLength)
                throw SafetensorsException.in(path, "header length " + n + " is larger than the " + afterLength
                        + " bytes after the length field");
            byte[] json = new byte[(int) n];
            readFully(ch, ByteBuffer.wrap(json), LENGTH_FIELD_BYTES, path);
            HeaderParser.Header header = HeaderParser.parse(path, json, afterLength - n);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new SafetensorsFile(path, arena, mapping, LENGTH_FIELD_BYTES + n, header);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw SafetensorsException.in(path, "file not found");
        } catch (AccessDeniedException e) {
            throw SafetensorsException.in(path, "permission denied");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long position, Path path) throws IOException {
        while (into.hasRemaining()) {
            int n = ch.read(into, position + into.position());
            if (n < 0) throw SafetensorsException.in(path, "file ended while reading the header (was it truncated?)");
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in the order the header lists them (for reference-written files, data order). */
    public List<String> names() {
        return names;
    }

    /** Header entries in header order. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** The header entry of a tensor; a name the file does not hold throws {@link SafetensorsException}. */
    public TensorInfo info(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) throw SafetensorsException.inTensor(path, name, "no such tensor in the file");
        return t;
    }

    /** The {@code __metadata__} string map in file order (empty when the header has none). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Whether the header has a {@code __metadata__} entry at all (an empty one counts). */
    public boolean hasMetadata() {
        return header.hasMetadata();
    }

    /** Byte position of the data section in the file: 8 + header length. */
    public long dataStart() {
        return dataStart;
    }

    /** A zero-copy view of a tensor's bytes in the mapping; valid until {@link #close()}. */
    public Tensor tensor(String name) {
        TensorInfo t = info(name);
        if (!t.supported())
            throw SafetensorsException.inTensor(path, name, "dtype " + t.fileDtype() + " is not supported by the engine");
        if (!arena.scope().isAlive()) throw new IllegalStateException("safetensors file is closed: " + path);
        return Tensor.wrap(mapping.asSlice(dataStart + t.begin(), t.byteSize()), t.dtype(), t.shape());
    }

    /** An owned, array-backed copy of a tensor that outlives {@link #close()}. */
    public Tensor copyOf(String name) {
        Tensor view = tensor(name);
        if (view.numel() > Integer.MAX_VALUE - 8)
            throw SafetensorsException.inTensor(path, name, "tensor of " + view.numel()
                    + " elements is too large for one Java array (use the mapped view)");
        Tensor owned = Tensor.zeros(view.dtype(), view.shape());
        MemorySegment.copy(view.segment(), 0, owned.segment(), 0, info(name).byteSize());
        return owned;
    }

    /** Owned copies of every tensor, in header order. */
    public Map<String, Tensor> copyAll() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : names) out.put(name, copyOf(name));
        return out;
    }

    /** Unmaps the file; tensors viewed from it become unusable (see the class comment). */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile(" + path + ", " + names.size() + " tensors)";
    }
}
