package dev.qlora4j.train.report;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf wire-format writes a TensorBoard event needs: varints, 64- and 32-bit
 * little-endian numbers and length-delimited fields. A message is built into a byte array, which
 * is how an embedded message is written (its length must be known first).
 *
 * <p>Like proto3's own serializer, callers leave out plain fields that hold their default value
 * (a member of a oneof is written whenever it is set, zero or not).
 */
final class ProtoEncoder {
    static final int VARINT = 0, FIXED64 = 1, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    ProtoEncoder doubleField(int field, double value) {
        tag(field, FIXED64);
        long bits = Double.doubleToRawLongBits(value);
        for (int i = 0; i < 8; i++) out.write((int) (bits >>> (8 * i)));
        return this;
    }

    ProtoEncoder floatField(int field, float value) {
        tag(field, FIXED32);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
        return this;
    }

    /** An int64 field: negative values take ten bytes, as protobuf writes them (no zig-zag). */
    ProtoEncoder int64Field(int field, long value) {
        tag(field, VARINT);
        varint(value);
        return this;
    }

    ProtoEncoder stringField(int field, String value) {
        return bytesField(field, value.getBytes(StandardCharsets.UTF_8));
    }

    ProtoEncoder messageField(int field, ProtoEncoder message) {
        return bytesField(field, message.toByteArray());
    }

    ProtoEncoder bytesField(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        varint(value.length);
        out.writeBytes(value);
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        varint(((long) field << 3) | wireType);
    }

    private void varint(long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }
}
