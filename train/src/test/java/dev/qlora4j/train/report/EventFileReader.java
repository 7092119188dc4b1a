package dev.qlora4j.train.report;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A reader of TensorBoard event files written for the tests, independent of the writer's code:
 * TFRecord framing with both checksums verified, a generic protobuf wire-format parser, and the
 * few Event / Summary fields a scalar uses.
 */
public final class EventFileReader {
    public record Value(String tag, float simpleValue) {}

    /** step and wall time are 0 when absent, as proto3 defines. */
    public record Event(double wallTime, long step, String fileVersion, String sourceWriter, List<Value> values) {}

    private EventFileReader() {}

    public static List<Event> read(byte[] file) {
        List<Event> events = new ArrayList<>();
        for (byte[] data : records(file)) events.add(event(data));
        return events;
    }

    static List<byte[]> records(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < 12) throw new AssertionError("truncated record header at " + in.position());
            int start = in.position();
            long length = in.getLong();
            int lengthCrc = in.getInt();
            if (lengthCrc != masked(file, start, 8)) throw new AssertionError("length CRC mismatch at " + start);
            if (length > in.remaining() - 4) throw new AssertionError("record longer than the file at " + start);
            byte[] data = new byte[(int) length];
            in.get(data);
            int dataCrc = in.getInt();
            if (dataCrc != masked(data, 0, data.length)) throw new AssertionError("data CRC mismatch at " + start);
            out.add(data);
        }
        return out;
    }

    private static int masked(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return Integer.rotateRight(c, 15) + 0xa282ead8;
    }

    private static Event event(byte[] data) {
        Map<Integer, List<Object>> f = fields(data);
        double wallTime = f.containsKey(1) ? Double.longBitsToDouble(only(f, 1, Long.class)) : 0;
        long step = f.containsKey(2) ? only(f, 2, Long.class) : 0;
        String version = f.containsKey(3) ? utf8(only(f, 3, byte[].class)) : null;
        String writer = null;
        if (f.containsKey(10)) writer = utf8(only(fields(only(f, 10, byte[].class)), 1, byte[].class));
        List<Value> values = new ArrayList<>();
        if (f.containsKey(5)) {
            for (Object v : fields(only(f, 5, byte[].class)).getOrDefault(1, List.of())) {
                Map<Integer, List<Object>> value = fields((byte[]) v);
                values.add(new Value(utf8(only(value, 1, byte[].class)),
                        Float.intBitsToFloat(only(value, 2, Integer.class))));
            }
        }
        return new Event(wallTime, step, version, writer, values);
    }

    private static <T> T only(Map<Integer, List<Object>> fields, int number, Class<T> type) {
        List<Object> values = fields.get(number);
        if (values == null || values.size() != 1) throw new AssertionError("field " + number + ": " + values);
        return type.cast(values.get(0));
    }

    /** Field number → values: varint and fixed64 as Long, fixed32 as Integer, length-delimited as byte[]. */
    static Map<Integer, List<Object>> fields(byte[] message) {
        Map<Integer, List<Object>> out = new LinkedHashMap<>();
        int[] pos = {0};
        while (pos[0] < message.length) {
            long key = varint(message, pos);
            int number = (int) (key >>> 3);
            Object value = switch ((int) (key & 7)) {
                case 0 -> varint(message, pos);
                case 1 -> {
                    long v = ByteBuffer.wrap(message, pos[0], 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                    pos[0] += 8;
                    yield v;
                }
                case 2 -> {
                    int len = Math.toIntExact(varint(message, pos));
                    if (len > message.length - pos[0]) throw new AssertionError("field beyond message");
                    byte[] v = java.util.Arrays.copyOfRange(message, pos[0], pos[0] + len);
                    pos[0] += len;
                    yield v;
                }
                case 5 -> {
                    int v = ByteBuffer.wrap(message, pos[0], 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                    pos[0] += 4;
                    yield v;
                }
                default -> throw new AssertionError("wire type " + (key & 7));
            };
            out.computeIfAbsent(number, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static long varint(byte[] b, int[] pos) {
        long result = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            int by = b[pos[0]++] & 0xFF;
            result |= (long) (by & 0x7F) << shift;
            if ((by & 0x80) == 0) return result;
        }
        throw new AssertionError("varint longer than 10 bytes");
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
