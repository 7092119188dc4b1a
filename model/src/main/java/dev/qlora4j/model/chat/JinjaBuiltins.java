package dev.qlora4j.model.chat;

import dev.qlora4j.model.chat.JinjaValues.Callable;
import dev.qlora4j.model.chat.JinjaValues.DictItems;
import dev.qlora4j.model.chat.JinjaValues.Namespace;
import dev.qlora4j.model.chat.JinjaValues.Tuple;
import dev.qlora4j.model.chat.JinjaValues.Undefined;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.qlora4j.model.chat.JinjaValues.str;
import static dev.qlora4j.model.chat.JinjaValues.truthy;
import static dev.qlora4j.model.chat.JinjaValues.typeName;

/**
 * jinja2's filters, tests and globals, transformers' additions ({@code tojson} as json.dumps with
 * ensure_ascii off, {@code raise_exception}, {@code strftime_now}), and the Python methods of str,
 * dict and list that templates call. ImmutableSandboxedEnvironment's rule holds: methods that would
 * change a list or dict fail with its SecurityError message.
 */
final class JinjaBuiltins {
    private JinjaBuiltins() {}

    /** What {@code raise_exception} raises: its message is the error. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message);
        }
    }

    private static final Set<String> FILTERS = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d", "default",
            "dictsort", "e", "escape", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join", "last",
            "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
            "selectattr", "slice", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "wordcount");

    private static final Set<String> TESTS = Set.of("boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped",
            "even", "false", "filter", "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt",
            "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "test", "true", "undefined", "upper", "==", "!=",
            "<", "<=", ">", ">=");

    static boolean hasFilter(String name) {
        return FILTERS.contains(name);
    }

    static boolean hasTest(String name) {
        return TESTS.contains(name);
    }

    /** The globals every template sees (transformers' and jinja2's). */
    /** transformers' strftime_now(format): the local time now, or at {@code fixed} when given (tests pin the clock). */
    static Callable strftimeNow(ZonedDateTime fixed) {
        return (args, kw, line) -> Strftime.format(args.isEmpty() ? "" : str(args.getFirst()), fixed != null ? fixed : ZonedDateTime.now());
    }

    static Map<String, Object> globals() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("range", (Callable) (args, kw, line) -> range(args, line));
        g.put("namespace", (Callable) (args, kw, line) -> {
            Namespace ns = new Namespace();
            for (Object a : args) {
                if (!(a instanceof Map<?, ?> m)) throw new JinjaException("namespace() takes a mapping", line);
                for (Map.Entry<?, ?> e : m.entrySet()) ns.attrs.put(str(e.getKey()), e.getValue());
            }
            ns.attrs.putAll(kw);
            return ns;
        });
        g.put("dict", (Callable) (args, kw, line) -> {
            Map<Object, Object> d = new LinkedHashMap<>();
            for (Object a : args) if (a instanceof Map<?, ?> m) d.putAll(m);
            d.putAll(kw);
            return d;
        });
        g.put("raise_exception", (Callable) (args, kw, line) -> {
            throw new Raised(args.isEmpty() ? "" : str(args.getFirst()));
        });
        g.put("strftime_now", strftimeNow(null));
        return g;
    }

    private static List<Object> range(List<Object> args, int line) {
        for (Object a : args) if (!JinjaValues.isInt(a))
            throw new JinjaException("'" + typeName(a) + "' object cannot be interpreted as an integer", line);
        long start = 0, stop, step = 1;
        if (args.size() == 1) stop = JinjaValues.asLong(args.getFirst());
        else if (args.size() == 2 || args.size() == 3) {
            start = JinjaValues.asLong(args.get(0));
            stop = JinjaValues.asLong(args.get(1));
            if (args.size() == 3) step = JinjaValues.asLong(args.get(2));
        } else throw new JinjaException("range expected 1 to 3 arguments, got " + args.size(), line);
        if (step == 0) throw new JinjaException("range() arg 3 must not be zero", line);
        long n = step > 0 ? Math.max(0, (stop - start + step - 1) / step) : Math.max(0, (start - stop - step - 1) / -step);
        if (n > 100_000)
            throw new JinjaException("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).", line);
        List<Object> out = new ArrayList<>((int) n);
        for (long k = 0; k < n; k++) out.add(start + k * step);
        return out;
    }

    private static Object arg(List<Object> args, Map<String, Object> kw, int index, String name, Object dflt) {
        if (kw.containsKey(name)) return kw.get(name);
        return index < args.size() ? args.get(index) : dflt;
    }

    private static String text(Object v, int line) {
        if (v instanceof Undefined) return "";
        return str(v);
    }

    private static List<Object> seq(Object v, int line) {
        return JinjaValues.iterate(v, line);
    }

    /** Filters that take an undefined value as jinja2's Undefined behaves (empty, false); the others fail on it. */
    private static final Set<String> UNDEFINED_OK = Set.of("default", "d", "length", "count", "string", "trim", "list", "join",
            "lower", "upper", "title", "capitalize", "first", "last", "items", "e", "escape", "safe", "indent", "replace", "wordcount");

    static Object filter(String name, Object v, List<Object> args, Map<String, Object> kw, JinjaRenderer r, int line) {
        if (v instanceof Undefined u && !UNDEFINED_OK.contains(name)) throw u.fail(line);
        switch (name) {
            case "abs" -> {
                if (JinjaValues.isInt(v)) return Math.abs(JinjaValues.asLong(v));
                if (v instanceof Double d) return Math.abs(d);
                throw new JinjaException("bad operand type for abs(): '" + typeName(v) + "'", line);
            }
            case "attr" -> {
                return r.getAttr(v, str(arg(args, kw, 0, "name", "")), line);
            }
            case "batch" -> {
                long size = JinjaValues.asLong(arg(args, kw, 0, "linecount", 1L));
                Object fill = arg(args, kw, 1, "fill_with", null);
                List<Object> out = new ArrayList<>(), cur = new ArrayList<>();
                for (Object o : seq(v, line)) {
                    cur.add(o);
                    if (cur.size() == size) {
                        out.add(cur);
                        cur = new ArrayList<>();
                    }
                }
                if (!cur.isEmpty()) {
                    if (fill != null) while (cur.size() < size) cur.add(fill);
                    out.add(cur);
                }
                return out;
            }
            case "capitalize" -> {
                return PyStrings.capitalize(text(v, line));
            }
            case "center" -> {
                String s = text(v, line);
                int width = (int) JinjaValues.asLong(arg(args, kw, 0, "width", 80L));
                int len = PyStrings.length(s);
                if (len >= width) return s;
                int total = width - len, left = total / 2 + (total & width & 1);
                return " ".repeat(left) + s + " ".repeat(total - left);
            }
            case "count", "length" -> {
                return switch (v) {
                    case Undefined u -> 0L;
                    case String s -> (long) PyStrings.length(s);
                    case Map<?, ?> m -> (long) m.size();
                    default -> {
                        List<Object> l = JinjaValues.items(v);
                        if (l == null) throw new JinjaException("object of type '" + typeName(v) + "' has no len()", line);
                        yield (long) l.size();
                    }
                };
            }
            case "d", "default" -> {
                Object dflt = arg(args, kw, 0, "default_value", "");
                boolean bool = truthy(arg(args, kw, 1, "boolean", false));
                if (v instanceof Undefined || bool && !truthy(v)) return dflt;
                return v;
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) throw new JinjaException("dictsort needs a dict", line);
                boolean caseSensitive = truthy(arg(args, kw, 0, "case_sensitive", false));
                boolean byValue = "value".equals(arg(args, kw, 1, "by", "key"));
                boolean reverse = truthy(arg(args, kw, 2, "reverse", false));
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(new Tuple(List.of(e.getKey(), e.getValue())));
                int idx = byValue ? 1 : 0;
                Comparator<Object> cmp = (a, b) -> JinjaValues.compare(sortKey(((Tuple) a).items().get(idx), caseSensitive),
                        sortKey(((Tuple) b).items().get(idx), caseSensitive), "<", line);
                out.sort(reverse ? cmp.reversed() : cmp);
                return out;
            }
            case "e", "escape", "forceescape" -> {
                return escape(text(v, line));
            }
            case "first" -> {
                List<Object> l = v instanceof Undefined ? List.of() : seq(v, line);
                return l.isEmpty() ? new Undefined("No first item, sequence was empty.") : l.getFirst();
            }
            case "last" -> {
                List<Object> l = v instanceof Undefined ? List.of() : seq(v, line);
                return l.isEmpty() ? new Undefined("No last item, sequence was empty.") : l.getLast();
            }
            case "float" -> {
                Object dflt = arg(args, kw, 0, "default", 0.0);
                if (JinjaValues.isNumber(v)) return JinjaValues.asDouble(v);
                try {
                    return Double.parseDouble(str(v).strip());
                } catch (NumberFormatException e) {
                    return dflt;
                }
            }
            case "int" -> {
                Object dflt = arg(args, kw, 0, "default", 0L);
                if (JinjaValues.isInt(v)) return JinjaValues.asLong(v);
                if (v instanceof Double d) return (long) d.doubleValue();
                try {
                    return Long.parseLong(str(v).strip().replace("_", ""));
                } catch (NumberFormatException e) {
                    try {
                        return (long) Double.parseDouble(str(v).strip());
                    } catch (NumberFormatException e2) {
                        return dflt;
                    }
                }
            }
            case "format" -> {
                Object fmtArgs = kw.isEmpty() ? args : kw;
                return JinjaValues.binary("%", text(v, line), fmtArgs instanceof List<?> l ? new Tuple(new ArrayList<>(l))
                        : new LinkedHashMap<Object, Object>(kw), line);
            }
            case "groupby" -> {
                String attribute = str(arg(args, kw, 0, "attribute", ""));
                Map<Object, List<Object>> groups = new LinkedHashMap<>();
                List<Object> items = new ArrayList<>(seq(v, line));
                items.sort((a, b) -> JinjaValues.compare(attrPath(a, attribute, r, line), attrPath(b, attribute, r, line), "<", line));
                for (Object o : items) groups.computeIfAbsent(attrPath(o, attribute, r, line), k -> new ArrayList<>()).add(o);
                List<Object> out = new ArrayList<>();
                for (Map.Entry<Object, List<Object>> e : groups.entrySet()) out.add(new Tuple(List.of(e.getKey(), e.getValue())));
                return out;
            }
            case "indent" -> {
                Object w = arg(args, kw, 0, "width", 4L);
                String pad = w instanceof String s ? s : " ".repeat((int) JinjaValues.asLong(w));
                boolean first = truthy(arg(args, kw, 1, "first", false)), blank = truthy(arg(args, kw, 2, "blank", false));
                String s = text(v, line) + "\n";
                List<String> lines = PyStrings.splitlines(s);
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < lines.size(); k++) {
                    String ln = lines.get(k);
                    if (k > 0) sb.append('\n');
                    boolean indentIt = k == 0 ? first : blank || !ln.isEmpty();
                    if (k == 0 && first && !blank && ln.isEmpty()) indentIt = true;
                    sb.append(indentIt ? pad + ln : ln);
                }
                return sb.toString();
            }
            case "items" -> {
                if (v instanceof Undefined) return List.of();
                if (!(v instanceof Map<?, ?> m)) throw new JinjaException("Can only get item pairs from a mapping.", line);
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(new Tuple(List.of(e.getKey(), e.getValue())));
                return out;
            }
            case "join" -> {
                String sep = str(arg(args, kw, 0, "d", ""));
                Object attribute = arg(args, kw, 1, "attribute", null);
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object o : v instanceof Undefined ? List.of() : seq(v, line)) {
                    if (!first) sb.append(sep);
                    first = false;
                    sb.append(str(attribute == null ? o : attrPath(o, str(attribute), r, line)));
                }
                return sb.toString();
            }
            case "list" -> {
                return v instanceof Undefined ? new ArrayList<>() : new ArrayList<>(seq(v, line));
            }
            case "lower" -> {
                return PyStrings.lower(text(v, line));
            }
            case "upper" -> {
                return PyStrings.upper(text(v, line));
            }
            case "title" -> {
                return PyStrings.titleWords(text(v, line));
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                if (kw.containsKey("attribute")) {
                    String attribute = str(kw.get("attribute"));
                    Object dflt = kw.get("default");
                    for (Object o : seq(v, line)) {
                        Object x = attrPath(o, attribute, r, line);
                        out.add(x instanceof Undefined && dflt != null ? dflt : x);
                    }
                    return out;
                }
                if (args.isEmpty()) throw new JinjaException("map requires a filter argument", line);
                String filter = str(args.getFirst());
                if (!hasFilter(filter)) throw new JinjaException("No filter named '" + filter + "'.", line);
                for (Object o : seq(v, line)) out.add(filter(filter, o, args.subList(1, args.size()), Map.of(), r, line));
                return out;
            }
            case "max", "min" -> {
                List<Object> l = seq(v, line);
                if (l.isEmpty()) return new Undefined("No aggregated item, sequence was empty.");
                boolean caseSensitive = truthy(arg(args, kw, 0, "case_sensitive", false));
                Object attribute = arg(args, kw, 1, "attribute", null);
                Object best = l.getFirst();
                for (Object o : l) {
                    Object a = sortKey(attribute == null ? o : attrPath(o, str(attribute), r, line), caseSensitive);
                    Object b = sortKey(attribute == null ? best : attrPath(best, str(attribute), r, line), caseSensitive);
                    int c = JinjaValues.compare(a, b, "<", line);
                    if (name.equals("max") ? c > 0 : c < 0) best = o;
                }
                return best;
            }
            case "select", "reject", "selectattr", "rejectattr" -> {
                boolean byAttr = name.endsWith("attr"), keep = name.startsWith("select");
                String attribute = byAttr ? str(args.isEmpty() ? "" : args.getFirst()) : null;
                List<Object> rest = byAttr ? (args.size() > 1 ? args.subList(1, args.size()) : List.of()) : args;
                List<Object> out = new ArrayList<>();
                for (Object o : seq(v, line)) {
                    Object x = byAttr ? attrPath(o, attribute, r, line) : o;
                    boolean ok;
                    if (rest.isEmpty()) ok = truthy(x);
                    else {
                        String t = str(rest.getFirst());
                        if (!hasTest(t)) throw new JinjaException("No test named '" + t + "'.", line);
                        ok = test(t, x, rest.subList(1, rest.size()), r, line);
                    }
                    if (ok == keep) out.add(o);
                }
                return out;
            }
            case "replace" -> {
                String s = text(v, line);
                long count = arg(args, kw, 2, "count", null) instanceof Object c && JinjaValues.isInt(c) ? JinjaValues.asLong(c) : -1;
                return PyStrings.replace(s, str(args.get(0)), str(args.get(1)), (int) count);
            }
            case "reverse" -> {
                if (v instanceof String s) return new StringBuilder(s).reverse().toString();
                List<Object> l = new ArrayList<>(seq(v, line));
                java.util.Collections.reverse(l);
                return l;
            }
            case "round" -> {
                long precision = JinjaValues.asLong(arg(args, kw, 0, "precision", 0L));
                String method = str(arg(args, kw, 1, "method", "common"));
                double x = JinjaValues.asDouble(v), f = Math.pow(10, precision);
                double out = switch (method) {
                    case "ceil" -> Math.ceil(x * f) / f;
                    case "floor" -> Math.floor(x * f) / f;
                    default -> new java.math.BigDecimal(x).setScale((int) precision, java.math.RoundingMode.HALF_EVEN).doubleValue();
                };
                return out;
            }
            case "safe" -> {
                return text(v, line);
            }
            case "slice" -> {
                long slices = JinjaValues.asLong(args.getFirst());
                List<Object> l = seq(v, line);
                List<Object> out = new ArrayList<>();
                int per = (int) (l.size() / slices), extra = (int) (l.size() % slices), offset = 0;
                for (int k = 0; k < slices; k++) {
                    int start = offset + k * per, end = start + per;
                    if (k < extra) offset++;
                    if (k < extra) end++;
                    out.add(new ArrayList<>(l.subList(Math.min(start, l.size()), Math.min(end, l.size()))));
                }
                return out;
            }
            case "sort" -> {
                boolean reverse = truthy(arg(args, kw, 0, "reverse", false));
                boolean caseSensitive = truthy(arg(args, kw, 1, "case_sensitive", false));
                Object attribute = arg(args, kw, 2, "attribute", null);
                List<Object> l = new ArrayList<>(seq(v, line));
                Comparator<Object> cmp = (a, b) -> JinjaValues.compare(
                        sortKey(attribute == null ? a : attrPath(a, str(attribute), r, line), caseSensitive),
                        sortKey(attribute == null ? b : attrPath(b, str(attribute), r, line), caseSensitive), "<", line);
                l.sort(reverse ? cmp.reversed() : cmp);
                return l;
            }
            case "string" -> {
                return text(v, line);
            }
            case "sum" -> {
                Object attribute = arg(args, kw, 0, "attribute", null);
                Object total = arg(args, kw, 1, "start", 0L);
                for (Object o : seq(v, line)) total = JinjaValues.binary("+", total, attribute == null ? o : attrPath(o, str(attribute), r, line), line);
                return total;
            }
            case "tojson" -> {
                Object indent = arg(args, kw, 0, "indent", null);
                String ind = indent == null || indent instanceof PyNone ? null : indent instanceof String s ? s : " ".repeat((int) JinjaValues.asLong(indent));
                Object seps = kw.get("separators");
                List<String> separators = null;
                if (seps != null && !(seps instanceof PyNone)) {
                    List<Object> l = JinjaValues.items(seps);
                    separators = List.of(str(l.get(0)), str(l.get(1)));
                }
                boolean sortKeys = truthy(kw.getOrDefault("sort_keys", false));
                try {
                    return new PyJson(ind, separators, sortKeys, truthy(kw.getOrDefault("ensure_ascii", false))).write(toJson(v, line));
                } catch (IllegalArgumentException e) {
                    throw new JinjaException(e.getMessage(), line);
                }
            }
            case "trim" -> {
                Object chars = arg(args, kw, 0, "chars", null);
                return PyStrings.strip(text(v, line), chars == null || chars instanceof PyNone ? null : str(chars));
            }
            case "truncate" -> {
                String s = text(v, line);
                int length = (int) JinjaValues.asLong(arg(args, kw, 0, "length", 255L));
                boolean killwords = truthy(arg(args, kw, 1, "killwords", false));
                String end = str(arg(args, kw, 2, "end", "..."));
                int leeway = (int) JinjaValues.asLong(arg(args, kw, 3, "leeway", 5L));
                if (PyStrings.length(s) <= length + leeway) return s;
                String cut = s.substring(0, s.offsetByCodePoints(0, Math.max(0, length - PyStrings.length(end))));
                if (killwords) return cut + end;
                int sp = cut.lastIndexOf(' ');
                return (sp >= 0 ? cut.substring(0, sp) : cut) + end;
            }
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                boolean caseSensitive = truthy(arg(args, kw, 0, "case_sensitive", false));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<Object> seen = new ArrayList<>();
                for (Object o : seq(v, line)) {
                    Object k = sortKey(attribute == null ? o : attrPath(o, str(attribute), r, line), caseSensitive);
                    boolean dup = false;
                    for (Object s : seen) if (JinjaValues.eq(s, k)) dup = true;
                    if (!dup) {
                        seen.add(k);
                        out.add(o);
                    }
                }
                return out;
            }
            case "wordcount" -> {
                return (long) PyStrings.split(text(v, line), null, -1).size();
            }
            default -> throw new JinjaException("no filter named '" + name + "'", line);
        }
    }

    private static Object sortKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? PyStrings.lower(s) : v;
    }

    /** jinja2's attribute paths in filters: "a.b.0" looks up a, then b, then item 0. */
    private static Object attrPath(Object o, String path, JinjaRenderer r, int line) {
        Object cur = o;
        for (String part : path.split("\\.")) {
            if (cur instanceof Undefined) return cur;
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
            cur = r.getItem(cur, key, line);
        }
        return cur;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The value as json.dumps sees it: tuples are lists, None is null; Undefined and other objects are not serializable. */
    private static Object toJson(Object v, int line) {
        return switch (v) {
            case Tuple t -> toJsonList(t.items(), line);
            case List<?> l -> toJsonList(l, line);
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.put(e.getKey() instanceof PyNone ? null : e.getKey(), toJson(e.getValue(), line));
                yield out;
            }
            case PyNone n -> PyNone.NONE;
            case String s -> s;
            case Boolean b -> b;
            case Long l -> l;
            case Double d -> d;
            default -> throw new JinjaException("Object of type " + typeName(v) + " is not JSON serializable", line);
        };
    }

    private static List<Object> toJsonList(List<?> l, int line) {
        List<Object> out = new ArrayList<>(l.size());
        for (Object o : l) out.add(toJson(o, line));
        return out;
    }

    static boolean test(String name, Object v, List<Object> args, JinjaRenderer r, int line) {
        Object a = args.isEmpty() ? null : args.getFirst();
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v instanceof PyNone;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> JinjaValues.isNumber(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map<?, ?>;
            case "iterable" -> v instanceof String || v instanceof List<?> || v instanceof Tuple || v instanceof Map<?, ?>;
            case "sequence" -> v instanceof String || v instanceof List<?> || v instanceof Tuple || v instanceof Map<?, ?>;
            case "callable" -> v instanceof Callable;
            case "sameas" -> v == a || v instanceof PyNone && a instanceof PyNone || v instanceof Boolean && v.equals(a);
            case "escaped" -> false;
            case "even" -> JinjaValues.asLong(v) % 2 == 0;
            case "odd" -> JinjaValues.asLong(v) % 2 != 0;
            case "divisibleby" -> JinjaValues.asLong(v) % JinjaValues.asLong(a) == 0;
            case "eq", "equalto", "==" -> JinjaValues.eq(v, a);
            case "ne", "!=" -> !JinjaValues.eq(v, a);
            case "lt", "lessthan", "<" -> JinjaValues.compare(v, a, "<", line) < 0;
            case "le", "<=" -> JinjaValues.compare(v, a, "<=", line) <= 0;
            case "gt", "greaterthan", ">" -> JinjaValues.compare(v, a, ">", line) > 0;
            case "ge", ">=" -> JinjaValues.compare(v, a, ">=", line) >= 0;
            case "in" -> JinjaValues.contains(a, v, line);
            case "lower" -> v instanceof String s && s.equals(PyStrings.lower(s));
            case "upper" -> v instanceof String s && s.equals(PyStrings.upper(s));
            case "filter" -> v instanceof String s && hasFilter(s);
            case "test" -> v instanceof String s && hasTest(s);
            default -> throw new JinjaException("no test named '" + name + "'", line);
        };
    }

    /** {@code obj[start:stop:step]} with Python's rules, for strings (by code point), lists and tuples. */
    static Object slice(Object obj, Object start, Object stop, Object step, int line) {
        List<Object> items;
        boolean string = obj instanceof String;
        if (string) items = JinjaValues.iterate(obj, line);
        else {
            items = JinjaValues.items(obj);
            if (items == null) {
                if (obj instanceof Undefined u) throw u.fail(line);
                throw new JinjaException("'" + typeName(obj) + "' object is not subscriptable", line);
            }
        }
        int n = items.size();
        long st = step == null || step instanceof PyNone ? 1 : JinjaValues.asLong(step);
        if (st == 0) throw new JinjaException("slice step cannot be zero", line);
        long lo, hi;
        if (st > 0) {
            lo = bound(start, 0, n, false);
            hi = bound(stop, n, n, false);
        } else {
            lo = bound(start, n - 1, n, true);
            hi = bound(stop, -1, n, true);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) for (long k = lo; k < hi; k += st) out.add(items.get((int) k));
        else for (long k = lo; k > hi; k += st) out.add(items.get((int) k));
        if (string) {
            StringBuilder sb = new StringBuilder();
            for (Object o : out) sb.append((String) o);
            return sb.toString();
        }
        return obj instanceof Tuple ? new Tuple(out) : out;
    }

    private static long bound(Object v, long dflt, int n, boolean negativeStep) {
        if (v == null || v instanceof PyNone) return dflt;
        long k = JinjaValues.asLong(v);
        if (k < 0) k += n;
        if (negativeStep) return Math.max(-1, Math.min(k, n - 1));
        return Math.max(0, Math.min(k, n));
    }

    private static final Set<String> UNSAFE_LIST = Set.of("append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort");
    private static final Set<String> UNSAFE_DICT = Set.of("clear", "pop", "popitem", "setdefault", "update");

    /** A str, dict or list method bound to {@code obj}, or null when it has none of that name. */
    static Callable method(Object obj, String name) {
        if (obj instanceof String s) return stringMethod(s, name);
        if (obj instanceof Map<?, ?> m) {
            if (UNSAFE_DICT.contains(name)) return unsafe(name, "dict");
            return switch (name) {
                case "items" -> (args, kw, line) -> {
                    List<Object> out = new ArrayList<>();
                    for (Map.Entry<?, ?> e : m.entrySet()) out.add(new Tuple(List.of(e.getKey(), e.getValue())));
                    return new DictItems(out);
                };
                case "keys" -> (args, kw, line) -> new ArrayList<Object>(m.keySet());
                case "values" -> (args, kw, line) -> new ArrayList<Object>(m.values());
                case "get" -> (args, kw, line) -> {
                    if (args.isEmpty()) throw new JinjaException("get expected at least 1 argument, got 0", line);
                    return JinjaValues.containsKey(m, args.getFirst()) ? JinjaValues.get(m, args.getFirst())
                            : args.size() > 1 ? args.get(1) : PyNone.NONE;
                };
                case "copy" -> (args, kw, line) -> new LinkedHashMap<Object, Object>(m);
                default -> null;
            };
        }
        if (obj instanceof List<?> || obj instanceof Tuple) {
            List<Object> l = JinjaValues.items(obj);
            if (obj instanceof List<?> && UNSAFE_LIST.contains(name)) return unsafe(name, "list");
            return switch (name) {
                case "index" -> (args, kw, line) -> {
                    for (int k = 0; k < l.size(); k++) if (JinjaValues.eq(l.get(k), args.getFirst())) return (long) k;
                    throw new JinjaException(JinjaValues.repr(args.getFirst()) + " is not in list", line);
                };
                case "count" -> (args, kw, line) -> {
                    long c = 0;
                    for (Object o : l) if (JinjaValues.eq(o, args.getFirst())) c++;
                    return c;
                };
                case "copy" -> obj instanceof Tuple ? null : (args, kw, line) -> new ArrayList<>(l);
                default -> null;
            };
        }
        return null;
    }

    private static Callable unsafe(String name, String type) {
        return (args, kw, line) -> {
            throw new JinjaException("access to attribute '" + name + "' of '" + type + "' object is unsafe.", line);
        };
    }

    private static String sArg(List<Object> args, int k, String dflt) {
        if (k >= args.size() || args.get(k) instanceof PyNone) return dflt;
        return str(args.get(k));
    }

    private static Callable stringMethod(String s, String name) {
        return switch (name) {
            case "strip" -> (a, kw, l) -> PyStrings.strip(s, sArg(a, 0, null));
            case "lstrip" -> (a, kw, l) -> PyStrings.lstrip(s, sArg(a, 0, null));
            case "rstrip" -> (a, kw, l) -> PyStrings.rstrip(s, sArg(a, 0, null));
            case "upper" -> (a, kw, l) -> PyStrings.upper(s);
            case "lower" -> (a, kw, l) -> PyStrings.lower(s);
            case "title" -> (a, kw, l) -> PyStrings.title(s);
            case "capitalize" -> (a, kw, l) -> PyStrings.capitalize(s);
            case "split", "rsplit" -> (a, kw, l) -> {
                String sep = kw.containsKey("sep") ? str(kw.get("sep")) : sArg(a, 0, null);
                Object max = kw.containsKey("maxsplit") ? kw.get("maxsplit") : a.size() > 1 ? a.get(1) : -1L;
                int maxSplit = (int) JinjaValues.asLong(max);
                if (sep != null && sep.isEmpty()) throw new JinjaException("empty separator", l);
                List<String> parts = name.equals("split") || maxSplit < 0 ? PyStrings.split(s, sep, maxSplit) : rsplit(s, sep, maxSplit);
                return new ArrayList<Object>(parts);
            };
            case "splitlines" -> (a, kw, l) -> new ArrayList<Object>(PyStrings.splitlines(s));
            case "startswith" -> (a, kw, l) -> PyStrings.startsWith(s, pyArg(a.getFirst()));
            case "endswith" -> (a, kw, l) -> PyStrings.endsWith(s, pyArg(a.getFirst()));
            case "replace" -> (a, kw, l) -> PyStrings.replace(s, str(a.get(0)), str(a.get(1)), a.size() > 2 ? (int) JinjaValues.asLong(a.get(2)) : -1);
            case "find" -> (a, kw, l) -> (long) PyStrings.find(s, str(a.getFirst()));
            case "rfind" -> (a, kw, l) -> {
                int at = s.lastIndexOf(str(a.getFirst()));
                return at < 0 ? -1L : (long) s.codePointCount(0, at);
            };
            case "index" -> (a, kw, l) -> {
                int at = PyStrings.find(s, str(a.getFirst()));
                if (at < 0) throw new JinjaException("substring not found", l);
                return (long) at;
            };
            case "count" -> (a, kw, l) -> (long) PyStrings.count(s, str(a.getFirst()));
            case "join" -> (a, kw, l) -> {
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object o : JinjaValues.iterate(a.getFirst(), l)) {
                    if (!(o instanceof String part)) throw new JinjaException("sequence item: expected str instance, " + typeName(o) + " found", l);
                    if (!first) sb.append(s);
                    first = false;
                    sb.append(part);
                }
                return sb.toString();
            };
            case "removeprefix" -> (a, kw, l) -> s.startsWith(str(a.getFirst())) ? s.substring(str(a.getFirst()).length()) : s;
            case "removesuffix" -> (a, kw, l) -> {
                String suffix = str(a.getFirst());
                return !suffix.isEmpty() && s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
            };
            case "isdigit" -> (a, kw, l) -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> (a, kw, l) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> (a, kw, l) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> (a, kw, l) -> !s.isEmpty() && s.codePoints().allMatch(PyStrings::isSpace);
            case "islower" -> (a, kw, l) -> s.codePoints().anyMatch(Character::isLowerCase) && s.equals(PyStrings.lower(s));
            case "isupper" -> (a, kw, l) -> s.codePoints().anyMatch(Character::isUpperCase) && s.equals(PyStrings.upper(s));
            case "format" -> (a, kw, l) -> format(s, a, kw, l);
            default -> null;
        };
    }

    /** startswith/endswith take a str or a tuple of them. */
    private static Object pyArg(Object v) {
        return v instanceof Tuple t ? t.items() : v;
    }

    private static List<String> rsplit(String s, String sep, int maxSplit) {
        List<String> all = PyStrings.split(s, sep, -1);
        if (all.size() <= maxSplit + 1) return all;
        int keep = all.size() - maxSplit;
        String joinedSep = sep == null ? " " : sep;
        List<String> out = new ArrayList<>();
        if (sep == null) {
            // whitespace rsplit keeps the head's own spacing: cut the string at the last maxSplit runs
            String rest = PyStrings.rstrip(s, null);
            List<String> tail = new ArrayList<>();
            for (int k = 0; k < maxSplit; k++) {
                int end = rest.length(), i = end;
                while (i > 0 && !PyStrings.isSpace(rest.charAt(i - 1))) i--;
                tail.addFirst(rest.substring(i, end));
                rest = PyStrings.rstrip(rest.substring(0, i), null);
            }
            out.add(rest);
            out.addAll(tail);
            return out;
        }
        out.add(String.join(joinedSep, all.subList(0, keep)));
        out.addAll(all.subList(keep, all.size()));
        return out;
    }

    /** str.format with {}, {0} and {name} fields (no format specs beyond the field). */
    private static String format(String s, List<Object> args, Map<String, Object> kw, int line) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '{' && k + 1 < s.length() && s.charAt(k + 1) == '{') {
                sb.append('{');
                k++;
            } else if (c == '}' && k + 1 < s.length() && s.charAt(k + 1) == '}') {
                sb.append('}');
                k++;
            } else if (c == '{') {
                int end = s.indexOf('}', k);
                if (end < 0) throw new JinjaException("Single '{' encountered in format string", line);
                String field = s.substring(k + 1, end);
                Object v;
                if (field.isEmpty()) v = args.get(auto++);
                else if (field.chars().allMatch(Character::isDigit)) v = args.get(Integer.parseInt(field));
                else if (kw.containsKey(field)) v = kw.get(field);
                else throw new JinjaException("KeyError: '" + field + "'", line);
                sb.append(str(v));
                k = end;
            } else sb.append(c);
        }
        return sb.toString();
    }
}
