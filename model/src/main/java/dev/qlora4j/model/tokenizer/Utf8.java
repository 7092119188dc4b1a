package dev.qlora4j.model.tokenizer;

/**
 * UTF-8 decoding with Rust's rules, which decoders depend on: {@code String::from_utf8_lossy}
 * replaces each maximal invalid subpart (a lone byte, or the valid start of a truncated sequence)
 * by one U+FFFD, and {@code String::from_utf8} rejects the whole input if anything is invalid.
 */
final class Utf8 {
    private Utf8() {}

    static String decodeLossy(byte[] bytes) {
        return decode(bytes, true);
    }

    /** The text, or null if the bytes are not entirely valid UTF-8. */
    static String decodeStrict(byte[] bytes) {
        return decode(bytes, false);
    }

    private static String decode(byte[] bytes, boolean lossy) {
        StringBuilder sb = new StringBuilder(bytes.length);
        int i = 0;
        while (i < bytes.length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int width;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                width = 2;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                width = 3;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                width = 4;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                width = 0;
            }
            int cp = width == 2 ? b0 & 0x1F : width == 3 ? b0 & 0x0F : b0 & 0x07;
            int j = i + 1;
            boolean ok = width > 0;
            for (int k = 1; ok && k < width; k++, j++) {
                int b = j < bytes.length ? bytes[j] & 0xFF : -1;
                int min = k == 1 ? lo : 0x80;
                int max = k == 1 ? hi : 0xBF;
                if (b < min || b > max) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (ok) {
                sb.appendCodePoint(cp);
                i = j;
            } else {
                if (!lossy) {
                    return null;
                }
                sb.append('\uFFFD');
                i = Math.max(j, i + 1);
            }
        }
        return sb.toString();
    }
}
