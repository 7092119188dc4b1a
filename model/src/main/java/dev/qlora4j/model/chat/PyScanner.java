package dev.qlora4j.model.chat;

import com.hubspot.jinjava.el.ext.ExtendedScanner;

/**
 * jinjava's expression scanner with Python string literals: jinja2 decodes a literal's escapes
 * with Python's unicode-escape codec, where jinjava accepts only \\n \\t \\b \\f \\r \\\\ \\' \\".
 */
final class PyScanner extends ExtendedScanner {
    PyScanner(String input) {
        super(input);
    }

    @Override
    protected Token nextString() throws ScanException {
        builder.setLength(0);
        String in = getInput();
        char quote = in.charAt(getPosition());
        int i = getPosition() + 1, n = in.length();
        while (i < n) {
            char c = in.charAt(i++);
            if (c == quote) return token(Symbol.STRING, builder.toString(), i - getPosition());
            if (c != '\\') {
                builder.append(c);
                continue;
            }
            if (i == n) break;
            char e = in.charAt(i++);
            switch (e) {
                case '\n' -> { }                       // line continuation
                case '\\', '\'', '"' -> builder.append(e);
                case 'a' -> builder.append('\u0007');
                case 'b' -> builder.append('\b');
                case 'f' -> builder.append('\f');
                case 'n' -> builder.append('\n');
                case 'r' -> builder.append('\r');
                case 't' -> builder.append('\t');
                case 'v' -> builder.append('\u000b');
                case 'x' -> i = hex(in, i, 2);
                case 'u' -> i = hex(in, i, 4);
                case 'U' -> i = hex(in, i, 8);
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int v = e - '0', digits = 1;
                    while (digits < 3 && i < n && in.charAt(i) >= '0' && in.charAt(i) <= '7') {
                        v = v * 8 + (in.charAt(i++) - '0');
                        digits++;
                    }
                    builder.appendCodePoint(v);
                }
                // Python keeps unknown escapes as written
                default -> builder.append('\\').append(e);
            }
        }
        throw new ScanException(getPosition(), "unterminated string", quote + " or \\");
    }

    /** Appends the code point of {@code digits} hex digits at {@code i}; returns the index after them. */
    private int hex(String in, int i, int digits) throws ScanException {
        if (i + digits > in.length()) throw new ScanException(i, "truncated \\x/\\u/\\U escape", digits + " hex digits");
        int cp;
        try {
            cp = Integer.parseUnsignedInt(in.substring(i, i + digits), 16);
        } catch (NumberFormatException e) {
            throw new ScanException(i, "truncated \\x/\\u/\\U escape", digits + " hex digits");
        }
        if (!Character.isValidCodePoint(cp)) throw new ScanException(i, "illegal Unicode character", "a code point");
        builder.appendCodePoint(cp);
        return i + digits;
    }
}
