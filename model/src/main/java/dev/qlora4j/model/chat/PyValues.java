package dev.qlora4j.model.chat;

import dev.qlora4j.tensor.io.PyFloat;


import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Python's {@code str()} and {@code repr()} of the values a template sees (JSON data: strings,
 * numbers, booleans, null, lists, maps), so that printed values match jinja2's output.
 */
final class PyValues {
    private PyValues() {}

    /** What jinja2 prints for a value; null is an undefined value, which prints empty. */
    static String str(Object v) {
        if (v == null) return "";
        if (v instanceof String s) return s;
        if (v instanceof CharSequence cs) return cs.toString();
        return repr(v);
    }

    /** Python's truthiness: None, False, zero and empty strings or containers are false. */
    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case PyNone n -> false;
            case Boolean b -> b;
            case BigDecimal d -> d.signum() != 0;
            case BigInteger i -> i.signum() != 0;
            case Number n -> n.doubleValue() != 0;
            case CharSequence s -> !s.isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Object[] a -> a.length > 0;
            default -> true;
        };
    }

    /** Python's str() of a value inside a container, i.e. repr(). */
    static String repr(Object v) {
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, v);
        return sb.toString();
    }

    private static void appendRepr(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("None");
            case PyNone n -> sb.append("None");
            case String s -> appendStringRepr(sb, s);
            case Boolean b -> sb.append(b ? "True" : "False");
            case Double d -> sb.append(floatRepr(d));
            case Float f -> sb.append(floatRepr(f.doubleValue()));
            case BigDecimal d -> sb.append(floatRepr(d.doubleValue()));
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case Short s -> sb.append(s);
            case Byte b -> sb.append(b);
            case BigInteger i -> sb.append(i);
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(", ");
                    first = false;
                    appendRepr(sb, e.getKey());
                    sb.append(": ");
                    appendRepr(sb, e.getValue());
                }
                sb.append('}');
            }
            case Map.Entry<?, ?> e -> {
                sb.append('(');
                appendRepr(sb, e.getKey());
                sb.append(", ");
                appendRepr(sb, e.getValue());
                sb.append(')');
            }
            case Collection<?> c -> appendSequence(sb, c.iterator());
            case Object[] a -> appendSequence(sb, java.util.Arrays.asList(a).iterator());
            default -> sb.append(v);
        }
    }

    private static void appendSequence(StringBuilder sb, Iterator<?> it) {
        sb.append('[');
        boolean first = true;
        while (it.hasNext()) {
            if (!first) sb.append(", ");
            first = false;
            appendRepr(sb, it.next());
        }
        sb.append(']');
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
