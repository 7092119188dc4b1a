package dev.qlora4j.tensor.io;

import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes a header exactly as the reference writer does ({@code serde_json::to_string}): compact
 * (no spaces), {@code __metadata__} first when present, then the tensors in layout order, each
 * entry's fields in the order dtype, shape, data_offsets. Strings escape only what JSON requires:
 * {@code "} and {@code \}, the control characters with a short form as \b \t \n \f \r, the other
 * control characters as {@code \}u00xx with lower-case hex; everything else (including '/', DEL
 * and non-ASCII) is written as UTF-8. The result is padded with spaces to a multiple of 8 bytes.
 */
final class HeaderJson {
    private HeaderJson() {}

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** A tensor's place in the file, in the order it is written. */
    record Entry(String name, SafetensorsDtype dtype, int[] shape, long begin, long end) {}

    /** The padded header bytes (without the 8-byte length field). */
    static byte[] build(Map<String, String> metadata, List<Entry> entries) {
        StringBuilder b = new StringBuilder(64 + 96 * entries.size());
        b.append('{');
        boolean first = true;
        if (metadata != null) {
            string(b, HeaderParser.METADATA_KEY);
            b.append(":{");
            boolean firstKey = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!firstKey) b.append(',');
                firstKey = false;
                string(b, e.getKey());
                b.append(':');
                string(b, e.getValue());
            }
            b.append('}');
            first = false;
        }
        for (Entry e : entries) {
            if (!first) b.append(',');
            first = false;
            string(b, e.name());
            b.append(":{\"dtype\":\"").append(e.dtype().name()).append("\",\"shape\":[");
            for (int i = 0; i < e.shape().length; i++) {
                if (i > 0) b.append(',');
                b.append(e.shape()[i]);
            }
            b.append("],\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
        }
        b.append('}');
        byte[] utf8 = utf8(b);
        int padded = Math.toIntExact((utf8.length + 7L) / 8 * 8);
        byte[] out = Arrays.copyOf(utf8, padded);
        Arrays.fill(out, utf8.length, padded, (byte) ' ');
        return out;
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\f' -> b.append("\\f");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }

    /** Strict UTF-8: a lone surrogate in a name has no UTF-8 form, so it is refused, not replaced. */
    private static byte[] utf8(CharSequence s) {
        try {
            var buf = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a tensor name or metadata string is not valid Unicode (lone surrogate)");
        }
    }
}
