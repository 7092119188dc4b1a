package dev.qlora4j.tensor.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-made safetensors files for the hostile-input tests. */
final class Craft {
    private Craft() {}

    /** Length field (the header's byte count) + header + {@code dataBytes} zero bytes. */
    static byte[] bytes(String header, int dataBytes) {
        return bytes(header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static byte[] bytes(byte[] header, int dataBytes) {
        return bytes(header.length, header, dataBytes);
    }

    /** A file whose length field may lie about the header. */
    static byte[] bytes(long lengthField, byte[] header, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(lengthField).put(header);
        return b.array();
    }

    static Path file(Path dir, String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path file(Path dir, String header, int dataBytes) {
        return file(dir, "t.safetensors", bytes(header, dataBytes));
    }
}
