package dev.qlora4j.model.chat;

import dev.qlora4j.tensor.io.PyFloat;

/**
 * Python's repr() of strings and floats, which the template values' str()/repr() ({@link JinjaValues}) build on.
 */
final class PyValues {
    private PyValues() {}

    /** What a template prints for a value: {@link JinjaValues#str}. */
    static String str(Object v) {
        return JinjaValues.str(v);
    }

    /** Python's repr(): {@link JinjaValues#repr}. */
    static String repr(Object v) {
        return JinjaValues.repr(v);
    }

    static String stringRepr(String s) {
        StringBuilder sb = new StringBuilder();
        appendStringRepr(sb, s);
        return sb.toString();
    }

    /** repr(str): single quotes unless the text has ' and no ", escapes for the unprintable. */
    private static void appendStringRepr(StringBuilder sb, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (cp == quote) sb.append('\\').appendCodePoint(cp);
                    else if (isPrintable(cp)) sb.appendCodePoint(cp);
                    else if (cp < 0x100) sb.append(String.format("\\x%02x", cp));
                    else if (cp < 0x10000) sb.append(String.format("\\u%04x", cp));
                    else sb.append(String.format("\\U%08x", cp));
                }
            }
        });
        sb.append(quote);
    }

    /** str.isprintable: not a control, format, surrogate, private-use, unassigned or separator (but space). */
    private static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /**
     * repr(float): the shortest digits that round-trip (Java's Double.toString gives the same
     * digits since JDK 19), positional for decimal exponents -4..15, else d.ddde±XX.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        return PyFloat.repr(d);
    }
}
