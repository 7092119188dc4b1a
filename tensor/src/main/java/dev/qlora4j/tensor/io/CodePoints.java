package dev.qlora4j.tensor.io;

import java.util.Comparator;

/**
 * String order by Unicode code point, which is both the UTF-8 byte order Rust sorts by
 * (safetensors tensor names) and Python's str order (json.dumps sort_keys). Java's
 * {@link String#compareTo} compares UTF-16 units and differs above U+FFFF.
 */
public final class CodePoints {
    private CodePoints() {}

    public static final Comparator<String> ORDER = CodePoints::compare;

    public static int compare(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
