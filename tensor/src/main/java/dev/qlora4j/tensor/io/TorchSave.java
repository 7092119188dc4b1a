package dev.qlora4j.tensor.io;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes what {@code torch.save(obj, file)} writes (the zip format of torch ≥ 1.6) for plain
 * state dicts, so that PyTorch — and with it HF Trainer's resume — loads them with
 * {@code torch.load}, {@code weights_only=True} included: a stored zip holding
 * {@code <name>/data.pkl} (a protocol-2 pickle), one {@code <name>/data/<key>} record of raw
 * little-endian bytes per tensor, {@code <name>/byteorder} and {@code <name>/version}; records are
 * aligned to 64 bytes as torch aligns them.
 *
 * <p>Values: {@link Map} (a dict, in iteration order), {@link List} (a list), {@link Tuple},
 * {@link String}, {@link Integer}/{@link Long}, {@link Float}/{@link Double}, {@link Boolean},
 * null (None) and {@link FloatTensor} (a float32 CPU tensor, rebuilt by
 * {@code torch._utils._rebuild_tensor_v2} over a {@code torch.FloatStorage}: the only globals
 * the pickle names, both on the weights-only allow list, with {@code collections.OrderedDict}).
 */
public final class TorchSave {
    /** A Python tuple (None items allowed). */
    public record Tuple(List<?> items) {
        public Tuple(Object... items) {
            this(java.util.Collections.unmodifiableList(java.util.Arrays.asList(items.clone())));
        }
    }

    /** A contiguous float32 tensor of {@code shape} (empty for a scalar). */
    public record FloatTensor(float[] data, int... shape) {
        public FloatTensor {
            long n = 1;
            for (int d : shape) n *= d;
            if (n != data.length) throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " holds " + n
                    + " values, not " + data.length);
        }

        public static FloatTensor scalar(float v) {
            return new FloatTensor(new float[]{v});
        }
    }

    private static final int ALIGNMENT = 64;

    private TorchSave() {}

    /** Writes {@code obj} to {@code file} atomically (a temporary file in the same folder, then a rename). */
    public static void write(Path file, Object obj) throws IOException {
        String stem = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        if (stem.isEmpty() || !stem.matches("[A-Za-z0-9_\\-]+")) stem = "archive";
        Pickler pickler = new Pickler();
        byte[] pickle = pickler.dump(obj);
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp); Counting counting = new Counting(out);
             ZipOutputStream zip = new ZipOutputStream(counting)) {
            zip.setLevel(0);
            put(zip, counting, stem + "/data.pkl", pickle);
            put(zip, counting, stem + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < pickler.storages.size(); i++) put(zip, counting, stem + "/data/" + i, bytes(pickler.storages.get(i)));
            put(zip, counting, stem + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] bytes(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    /** One stored record whose data starts at a multiple of 64 bytes (padding in an extra field, as torch pads). */
    private static void put(ZipOutputStream zip, Counting counting, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        long headerEnd = counting.count + 30 + nameBytes.length + 4;   // local header, name, the extra field's own 4 bytes
        int pad = (int) ((ALIGNMENT - headerEnd % ALIGNMENT) % ALIGNMENT);
        byte[] extra = new byte[4 + pad];
        extra[0] = 'F';
        extra[1] = 'B';
        extra[2] = (byte) pad;
        extra[3] = (byte) (pad >> 8);
        java.util.Arrays.fill(extra, 4, extra.length, (byte) 'Z');
        e.setExtra(extra);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** Counts the bytes the zip stream has written so far (its entries are written straight through). */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /** Protocol-2 pickle opcodes for the values above; no memo (valid, just larger). */
    private static final class Pickler {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final List<float[]> storages = new ArrayList<>();

        byte[] dump(Object obj) {
            out.write(0x80);   // PROTO
            out.write(2);
            value(obj);
            out.write('.');    // STOP
            return out.toByteArray();
        }

        void value(Object v) {
            switch (v) {
                case null -> out.write('N');
                case Boolean b -> out.write(b ? 0x88 : 0x89);   // NEWTRUE / NEWFALSE
                case Integer i -> integer(i);
                case Long l -> integer(l);
                case Float f -> real(f);
                case Double d -> real(d);
                case String s -> string(s);
                case Tuple t -> tuple(t.items());
                case FloatTensor t -> tensor(t);
                case List<?> list -> {
                    out.write(']');   // EMPTY_LIST
                    if (!list.isEmpty()) {
                        out.write('(');
                        for (Object item : list) value(item);
                        out.write('e');   // APPENDS
                    }
                }
                case Map<?, ?> map -> {
                    out.write('}');   // EMPTY_DICT
                    if (!map.isEmpty()) {
                        out.write('(');
                        map.forEach((k, val) -> {
                            value(k);
                            value(val);
                        });
                        out.write('u');   // SETITEMS
                    }
                }
                default -> throw new IllegalArgumentException("cannot pickle a " + v.getClass().getName());
            }
        }

        void integer(long v) {
            if (v >= 0 && v < 256) {
                out.write('K');   // BININT1
                out.write((int) v);
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                out.write('J');   // BININT, 4 bytes little-endian
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            } else {
                out.write(0x8a);  // LONG1: 8 bytes two's complement little-endian
                out.write(8);
                out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            }
        }

        void real(double v) {
            out.write('G');   // BINFLOAT, big-endian double
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(v).array());
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');   // BINUNICODE
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            out.writeBytes(b);
        }

        void tuple(List<?> items) {
            if (items.isEmpty()) {
                out.write(')');   // EMPTY_TUPLE
                return;
            }
            out.write('(');
            for (Object item : items) value(item);
            out.write('t');       // TUPLE
        }

        void global(String module, String name) {
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        /** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks). */
        void tensor(FloatTensor t) {
            int key = storages.size();
            storages.add(t.data());
            global("torch._utils", "_rebuild_tensor_v2");
            out.write('(');
            // the storage, by persistent id ('storage', type, key, location, numel)
            out.write('(');
            string("storage");
            global("torch", "FloatStorage");
            string(Integer.toString(key));
            string("cpu");
            integer(t.data().length);
            out.write('t');
            out.write('Q');       // BINPERSID
            integer(0);
            List<Object> shape = new ArrayList<>(), stride = new ArrayList<>();
            long s = 1;
            for (int d = t.shape().length - 1; d >= 0; d--) {
                shape.addFirst(t.shape()[d]);
                stride.addFirst(s);
                s *= t.shape()[d];
            }
            tuple(shape);
            tuple(stride);
            out.write(0x89);      // requires_grad False
            global("collections", "OrderedDict");
            out.write(')');
            out.write('R');       // REDUCE: OrderedDict()
            out.write('t');
            out.write('R');       // REDUCE: _rebuild_tensor_v2(...)
        }
    }
}
