package dev.qlora4j.model.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values templates compute with, as Python has them: None ({@link PyNone}), bool, int
 * (Long), float (Double), str, list (a List), tuple ({@link Tuple}), dict (a Map), plus jinja2's
 * {@link Undefined}, {@link Namespace} and callables. Python's rules for truth, equality, order and
 * the arithmetic operators are here.
 */
final class JinjaValues {
    private JinjaValues() {}

    /** A Python tuple. */
    record Tuple(List<Object> items) {}

    /** dict.items(): a list of (key, value) tuples that prints as dict_items([...]). */
    static final class DictItems extends ArrayList<Object> {
        DictItems(Collection<?> c) {
            super(c);
        }
    }

    /** jinja2's Undefined: prints empty, is false, iterates as empty; most other uses fail with {@code hint}. */
    record Undefined(String hint) {
        JinjaException fail(int line) {
            return new JinjaException(hint, line);
        }
    }

    /** jinja2's namespace(): the one object whose attributes {@code set ns.x = ...} may change. */
    static final class Namespace {
        final Map<String, Object> attrs = new LinkedHashMap<>();
    }

    /** A function a template can call: a macro, a global, a bound method, loop.cycle, caller. */
    interface Callable {
        Object call(List<Object> args, Map<String, Object> kwargs, int line);
    }

    /** A value from the caller (JSON-like maps, lists, numbers) as the template's values: ints as Long, floats as Double. */
    static Object fromJava(Object v) {
        return switch (v) {
            case null -> PyNone.NONE;
            case Integer n -> n.longValue();
            case Short n -> n.longValue();
            case Byte n -> n.longValue();
            case Float f -> f.doubleValue();
            case BigDecimal d -> d.doubleValue();
            case BigInteger b -> b.bitLength() < 64 ? b.longValue() : b.doubleValue();
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.put(fromJava(e.getKey()), fromJava(e.getValue()));
                yield out;
            }
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>(c.size());
                for (Object o : c) out.add(fromJava(o));
                yield out;
            }
            case Object[] a -> fromJava(List.of(a));
            case Message m -> fromJava(m.toMap());
            default -> v;
        };
    }

    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case PyNone n -> "NoneType";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Tuple t -> "tuple";
            case DictItems d -> "dict_items";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Undefined u -> "Undefined";
            case Namespace n -> "Namespace";
            case Callable c -> "function";
            default -> v.getClass().getSimpleName();
        };
    }

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case PyNone n -> false;
            case Undefined u -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0;
            case String s -> !s.isEmpty();
            case Tuple t -> !t.items().isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    /** str(v) as the template prints it; Undefined (and a Java null) prints empty. */
    static String str(Object v) {
        return switch (v) {
            case null -> "";
            case String s -> s;
            case Undefined u -> "";
            default -> repr(v);
        };
    }

    static String repr(Object v) {
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, v);
        return sb.toString();
    }

    private static void appendRepr(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("None");
            case PyNone n -> sb.append("None");
            case String s -> sb.append(PyValues.stringRepr(s));
            case Boolean b -> sb.append(b ? "True" : "False");
            case Double d -> sb.append(PyValues.floatRepr(d));
            case Long l -> sb.append(l);
            case Tuple t -> {
                sb.append('(');
                for (int i = 0; i < t.items().size(); i++) {
                    if (i > 0) sb.append(", ");
                    appendRepr(sb, t.items().get(i));
                }
                if (t.items().size() == 1) sb.append(',');
                sb.append(')');
            }
            case DictItems d -> {
                sb.append("dict_items(");
                appendList(sb, d);
                sb.append(')');
            }
            case List<?> l -> appendList(sb, l);
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
            case Undefined u -> sb.append("Undefined");
            case Namespace n -> sb.append("<Namespace ").append(repr(n.attrs)).append('>');
            default -> sb.append(v);
        }
    }

    private static void appendList(StringBuilder sb, List<?> l) {
        sb.append('[');
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) sb.append(", ");
            appendRepr(sb, l.get(i));
        }
        sb.append(']');
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static long asLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : (Long) v;
    }

    static double asDouble(Object v) {
        return switch (v) {
            case Boolean b -> b ? 1 : 0;
            case Long l -> l;
            case Double d -> d;
            default -> throw new IllegalStateException();
        };
    }

    /** The items of a sequence, or null when {@code v} is none. */
    static List<Object> items(Object v) {
        return switch (v) {
            case Tuple t -> t.items();
            case List<?> l -> castList(l);
            default -> null;
        };
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(List<?> l) {
        return (List<Object>) l;
    }

    /** What {@code for x in v} iterates: a list's items, a dict's keys, a string's characters. */
    static List<Object> iterate(Object v, int line) {
        return switch (v) {
            case Undefined u -> List.of();
            case Tuple t -> t.items();
            case List<?> l -> castList(l);
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> {
                List<Object> out = new ArrayList<>();
                s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
                yield out;
            }
            default -> throw new JinjaException("'" + typeName(v) + "' object is not iterable", line);
        };
    }

    static boolean eq(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
        if (isNumber(a) && isNumber(b)) {
            if (isInt(a) && isInt(b)) return asLong(a) == asLong(b);
            return asDouble(a) == asDouble(b);
        }
        if (a instanceof Tuple ta && b instanceof Tuple tb) return listEq(ta.items(), tb.items());
        if (a instanceof Tuple || b instanceof Tuple) return false;
        if (a instanceof List<?> la && b instanceof List<?> lb) return listEq(la, lb);
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) return false;
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!containsKey(mb, e.getKey())) return false;
                if (!eq(e.getValue(), get(mb, e.getKey()))) return false;
            }
            return true;
        }
        if (a == null || b == null) return a == b;
        return a.equals(b);
    }

    private static boolean listEq(List<?> a, List<?> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (!eq(a.get(i), b.get(i))) return false;
        return true;
    }

    /** Map lookup with Python's key equality (1 and 1.0 and True are one key). */
    static boolean containsKey(Map<?, ?> m, Object key) {
        if (m.containsKey(key)) return true;
        if (!isNumber(key)) return false;
        for (Object k : m.keySet()) if (isNumber(k) && eq(k, key)) return true;
        return false;
    }

    static Object get(Map<?, ?> m, Object key) {
        if (m.containsKey(key)) return m.get(key);
        if (isNumber(key)) for (Map.Entry<?, ?> e : m.entrySet()) if (isNumber(e.getKey()) && eq(e.getKey(), key)) return e.getValue();
        return null;
    }

    /** Python's ordering: numbers, strings (by code point), sequences element by element. */
    static int compare(Object a, Object b, String op, int line) {
        if (isNumber(a) && isNumber(b)) {
            if (isInt(a) && isInt(b)) return Long.compare(asLong(a), asLong(b));
            return Double.compare(asDouble(a), asDouble(b));
        }
        if (a instanceof String sa && b instanceof String sb) return compareCodePoints(sa, sb);
        List<Object> la = items(a), lb = items(b);
        if (la != null && lb != null && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (eq(la.get(i), lb.get(i))) continue;
                return compare(la.get(i), lb.get(i), op, line);
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw new JinjaException("'" + op + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'", line);
    }

    static int compareCodePoints(String a, String b) {
        return dev.qlora4j.tensor.io.CodePoints.compare(a, b);
    }

    static boolean contains(Object container, Object item, int line) {
        return switch (container) {
            case String s -> {
                if (!(item instanceof String sub)) throw new JinjaException("'in <string>' requires string as left operand, not "
                        + typeName(item), line);
                yield s.contains(sub);
            }
            case Map<?, ?> m -> containsKey(m, item);
            case Undefined u -> false;
            default -> {
                List<Object> l = items(container);
                if (l == null) throw new JinjaException("argument of type '" + typeName(container) + "' is not iterable", line);
                for (Object o : l) if (eq(o, item)) yield true;
                yield false;
            }
        };
    }

    static Object binary(String op, Object a, Object b, int line) {
        if (a instanceof Undefined u) throw u.fail(line);
        if (b instanceof Undefined u) throw u.fail(line);
        switch (op) {
            case "+" -> {
                if (isNumber(a) && isNumber(b)) return isInt(a) && isInt(b) ? (Object) Math.addExact(asLong(a), asLong(b)) : (Object) (asDouble(a) + asDouble(b));
                if (a instanceof String sa && b instanceof String sb) return sa + sb;
                if (a instanceof Tuple ta && b instanceof Tuple tb) {
                    List<Object> out = new ArrayList<>(ta.items());
                    out.addAll(tb.items());
                    return new Tuple(out);
                }
                if (a instanceof List<?> la && b instanceof List<?> lb && !(a instanceof Tuple) && !(b instanceof Tuple)) {
                    List<Object> out = new ArrayList<>(la);
                    out.addAll(lb);
                    return out;
                }
            }
            case "-" -> {
                if (isNumber(a) && isNumber(b)) return isInt(a) && isInt(b) ? (Object) Math.subtractExact(asLong(a), asLong(b)) : (Object) (asDouble(a) - asDouble(b));
            }
            case "*" -> {
                if (isNumber(a) && isNumber(b)) return isInt(a) && isInt(b) ? (Object) Math.multiplyExact(asLong(a), asLong(b)) : (Object) (asDouble(a) * asDouble(b));
                if (a instanceof String s && isInt(b)) return s.repeat((int) Math.max(0, asLong(b)));
                if (b instanceof String s && isInt(a)) return s.repeat((int) Math.max(0, asLong(a)));
                if (a instanceof List<?> l && isInt(b)) {
                    List<Object> out = new ArrayList<>();
                    for (long k = 0; k < asLong(b); k++) out.addAll(l);
                    return out;
                }
            }
            case "/" -> {
                if (isNumber(a) && isNumber(b)) {
                    if (asDouble(b) == 0) throw new JinjaException("division by zero", line);
                    return asDouble(a) / asDouble(b);
                }
            }
            case "//" -> {
                if (isNumber(a) && isNumber(b)) {
                    if (asDouble(b) == 0) throw new JinjaException("integer division or modulo by zero", line);
                    return isInt(a) && isInt(b) ? (Object) Math.floorDiv(asLong(a), asLong(b)) : (Object) Math.floor(asDouble(a) / asDouble(b));
                }
            }
            case "%" -> {
                if (a instanceof String s) {
                    Object args = b instanceof Tuple t ? t.items() : b instanceof List<?> ? List.of(b) : b;   // a list is one argument
                    try {
                        return PercentFormat.format(s, args);
                    } catch (IllegalArgumentException e) {
                        throw new JinjaException(e.getMessage(), line);
                    }
                }
                if (isNumber(a) && isNumber(b)) {
                    if (asDouble(b) == 0) throw new JinjaException("integer division or modulo by zero", line);
                    if (isInt(a) && isInt(b)) return Math.floorMod(asLong(a), asLong(b));
                    double x = asDouble(a), y = asDouble(b), r = x % y;
                    return r != 0 && (r < 0) != (y < 0) ? r + y : r;
                }
            }
            case "**" -> {
                if (isNumber(a) && isNumber(b)) {
                    if (isInt(a) && isInt(b) && asLong(b) >= 0) {
                        long base = asLong(a), result = 1;
                        for (long k = 0; k < asLong(b); k++) result = Math.multiplyExact(result, base);
                        return result;
                    }
                    return Math.pow(asDouble(a), asDouble(b));
                }
            }
            default -> throw new IllegalStateException(op);
        }
        if (op.equals("+") && (a instanceof String || a instanceof List<?> || a instanceof Tuple))
            throw new JinjaException("can only concatenate " + typeName(a) + " (not \"" + typeName(b) + "\") to " + typeName(a), line);
        throw new JinjaException("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'", line);
    }
}
