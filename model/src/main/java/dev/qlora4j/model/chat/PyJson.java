package dev.qlora4j.model.chat;

import dev.qlora4j.tensor.io.CodePoints;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)},
 * which transformers installs as the templates' {@code tojson} filter (jinja2's own would
 * HTML-escape and sort keys).
 */
public final class PyJson {
    private final String indent;        // null: one line
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final boolean ensureAscii;

    /**
     * @param indent     null for one line; otherwise the string one nesting level adds (Python
     *                   accepts an int, meaning that many spaces)
     * @param separators null for Python's defaults: (", ", ": ") on one line, (",", ": ") when indenting
     */
    public PyJson(String indent, List<String> separators, boolean sortKeys, boolean ensureAscii) {
        this.indent = indent;
        if (separators != null) {
            this.itemSeparator = separators.get(0);
            this.keySeparator = separators.get(1);
        } else {
            this.itemSeparator = indent == null ? ", " : ",";
            this.keySeparator = ": ";
        }
        this.sortKeys = sortKeys;
        this.ensureAscii = ensureAscii;
    }

    static String dumps(Object value) {
        return new PyJson(null, null, false, false).write(value);
    }

    public String write(Object value) {
        StringBuilder sb = new StringBuilder();
        append(sb, value, 0);
        return sb.toString();
    }

    private void append(StringBuilder sb, Object v, int depth) {
        switch (v) {
            case null -> sb.append("null");
            case PyNone n -> sb.append("null");
            case CharSequence s -> appendString(sb, s.toString());
            case Boolean b -> sb.append(b);
            case Double d -> sb.append(number(d));
            case Float f -> sb.append(number(f.doubleValue()));
            case BigDecimal d -> sb.append(number(d.doubleValue()));
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case Short s -> sb.append(s);
            case Byte b -> sb.append(b);
            case BigInteger i -> sb.append(i);
            case Map<?, ?> m -> appendObject(sb, m, depth);
            // a (key, value) pair from dict.items() is a tuple, which json writes as a list
            case Map.Entry<?, ?> e -> appendArray(sb, Arrays.asList(e.getKey(), e.getValue()).iterator(), depth, false);
            case Collection<?> c -> appendArray(sb, c.iterator(), depth, c.isEmpty());
            case Object[] a -> appendArray(sb, Arrays.asList(a).iterator(), depth, a.length == 0);
            default -> throw new IllegalArgumentException("Object of type " + v.getClass().getSimpleName() + " is not JSON serializable");
        }
    }

    private void appendObject(StringBuilder sb, Map<?, ?> m, int depth) {
        if (m.isEmpty()) {
            sb.append("{}");
            return;
        }
        List<Map.Entry<String, Object>> entries = new ArrayList<>(m.size());
        for (Map.Entry<?, ?> e : m.entrySet()) entries.add(new AbstractMap.SimpleEntry<>(key(e.getKey()), e.getValue()));
        if (sortKeys) entries.sort(Map.Entry.comparingByKey(CodePoints.ORDER));
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : entries) {
            if (!first) sb.append(itemSeparator);
            first = false;
            newline(sb, depth + 1);
            appendString(sb, e.getKey());
            sb.append(keySeparator);
            append(sb, e.getValue(), depth + 1);
        }
        newline(sb, depth);
        sb.append('}');
    }

    private void appendArray(StringBuilder sb, Iterator<?> it, int depth, boolean empty) {
        if (empty) {
            sb.append("[]");
            return;
        }
        sb.append('[');
        boolean first = true;
        while (it.hasNext()) {
            if (!first) sb.append(itemSeparator);
            first = false;
            newline(sb, depth + 1);
            append(sb, it.next(), depth + 1);
        }
        newline(sb, depth);
        sb.append(']');
    }

    private void newline(StringBuilder sb, int depth) {
        if (indent == null) return;
        sb.append('\n');
        sb.append(indent.repeat(depth));
    }

    /** Python converts str, int, float, bool and None keys to strings; anything else is a TypeError. */
    private static String key(Object k) {
        return switch (k) {
            case null -> "null";
            case PyNone n -> "null";
            case CharSequence s -> s.toString();
            case Boolean b -> b.toString();
            case Double d -> number(d);
            case Float f -> number(f.doubleValue());
            case Number n -> n.toString();
            default -> throw new IllegalArgumentException("keys must be str, int, float, bool or None, not " + k.getClass().getSimpleName());
        };
    }

    private static String number(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return PyValues.floatRepr(d);
    }

    /**
     * '"', '\\' and control characters below 0x20 are escaped; with ensure_ascii also everything
     * above 0x7e, as UTF-16 units.
     */
    private void appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
