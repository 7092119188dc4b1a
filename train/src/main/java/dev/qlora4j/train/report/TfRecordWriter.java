package dev.qlora4j.train.report;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard event files: per record the data length as a
 * little-endian uint64, the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of
 * the data. Readers check both checksums and drop a file's torn last record, so a crash mid-write
 * costs at most that record.
 */
final class TfRecordWriter {
    private static final int MASK_DELTA = 0xa282ead8;

    private final OutputStream out;

    TfRecordWriter(OutputStream out) {
        this.out = out;
    }

    void write(byte[] data) throws IOException {
        byte[] header = new byte[12];
        long length = data.length;
        for (int i = 0; i < 8; i++) header[i] = (byte) (length >>> (8 * i));
        putIntLe(header, 8, maskedCrc32c(header, 0, 8));
        byte[] footer = new byte[4];
        putIntLe(footer, 0, maskedCrc32c(data, 0, data.length));
        out.write(header);
        out.write(data);
        out.write(footer);
    }

    /**
     * TensorFlow masks stored checksums (rotate right by 15, add a constant) because a CRC
     * computed over data that itself holds CRCs is weak.
     */
    static int maskedCrc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private static void putIntLe(byte[] to, int at, int value) {
        for (int i = 0; i < 4; i++) to[at + i] = (byte) (value >>> (8 * i));
    }
}
