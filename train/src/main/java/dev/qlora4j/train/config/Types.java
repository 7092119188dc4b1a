package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/** The kinds of config values. Every problem reads {@code "path" must be …}, with what was given where it helps. */
public final class Types {
    private Types() {}

    /** A value as the user wrote it, short, for error messages. */
    static String shown(JsonNode v) {
        String s = v.isTextual() ? "\"" + v.asText() + "\"" : v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    static String quoted(String path) {
        return "\"" + path + "\"";
    }

    private static <T> T problem(List<String> problems, String path, String what, JsonNode v) {
        problems.add(quoted(path) + " must be " + what + " (got " + shown(v) + ")");
        return null;
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    public static ValueType<String> string() {
        return new ValueType<>() {
            public String read(JsonNode v, String path, List<String> p) {
                return v.isTextual() ? v.asText() : problem(p, path, "a string", v);
            }

            public String describe() {
                return "string";
            }
        };
    }

    public static ValueType<Boolean> bool() {
        return new ValueType<>() {
            public Boolean read(JsonNode v, String path, List<String> p) {
                return v.isBoolean() ? v.asBoolean() : problem(p, path, "true or false", v);
            }

            public String describe() {
                return "true or false";
            }
        };
    }

    /** A whole number from {@code min} to {@code max} (a JSON number with no fraction, e.g. 8 or 8.0). */
    public static ValueType<Long> integer(long min, long max) {
        return new ValueType<>() {
            public Long read(JsonNode v, String path, List<String> p) {
                if (!v.isNumber() || !(v.isIntegralNumber() && v.canConvertToLong() || v.asDouble() == Math.rint(v.asDouble())
                        && Math.abs(v.asDouble()) < 9e15))
                    return problem(p, path, "an integer", v);
                long n = v.asLong();
                if (n < min) return problem(p, path, "an integer ≥ " + min, v);
                if (n > max) return problem(p, path, "an integer ≤ " + max, v);
                return n;
            }

            public String describe() {
                return min <= Integer.MIN_VALUE ? "integer" : "integer ≥ " + min;
            }
        };
    }

    /** An int-sized whole number of at least {@code min}. */
    public static ValueType<Integer> count(int min) {
        return map(integer(min, Integer.MAX_VALUE), Long::intValue, Integer::longValue);
    }

    /**
     * A number in a range; {@code lowIn}/{@code highIn} say whether the ends are allowed
     * (infinite ends are open). Written back as an integer when whole.
     */
    public static ValueType<Double> number(double low, boolean lowIn, double high, boolean highIn) {
        return new ValueType<>() {
            public Double read(JsonNode v, String path, List<String> p) {
                if (!v.isNumber()) return problem(p, path, "a number", v);
                double d = v.asDouble();
                boolean ok = (lowIn ? d >= low : d > low) && (highIn ? d <= high : d < high);
                return ok ? d : problem(p, path, "a number " + range(), v);
            }

            private String range() {
                if (high == Double.POSITIVE_INFINITY) return (lowIn ? "≥ " : "> ") + number(low);
                return "in " + (lowIn ? "[" : "(") + number(low) + ", " + number(high) + (highIn ? "]" : ")");
            }

            public String describe() {
                return "number " + range();
            }
        };
    }

    public static ValueType<Double> nonNegative() {
        return number(0, true, Double.POSITIVE_INFINITY, false);
    }

    /**
     * {@code logging_steps}, {@code eval_steps}, {@code save_steps}: a whole number of steps (1 or
     * more), or below 1 a share of the run's optimizer steps (HF: "a float in range [0,1)").
     */
    public static ValueType<Double> interval() {
        return new ValueType<>() {
            public Double read(JsonNode v, String path, List<String> p) {
                if (!v.isNumber() || !(v.asDouble() > 0)) return problem(p, path, "a number of steps ≥ 1, or a share of the run's steps below 1", v);
                double d = v.asDouble();
                if (d >= 1 && d != Math.rint(d)) return problem(p, path, "a whole number of steps when it is 1 or more", v);
                return d;
            }

            public String describe() {
                return "steps (integer ≥ 1), or a share of the run in (0, 1)";
            }

            public Object toJson(Double d) {
                return d >= 1 ? (Object) d.longValue() : d;
            }
        };
    }

    /** One of the constants of an enum, by its config name; {@code aliases} are other accepted names. */
    public static <E extends Enum<E>> ValueType<E> choice(Class<E> type, Function<E, String> name, Map<String, E> aliases) {
        Map<String, E> byName = new LinkedHashMap<>();
        for (E e : type.getEnumConstants()) byName.put(name.apply(e), e);
        List<String> names = List.copyOf(byName.keySet());
        byName.putAll(aliases);
        return new ValueType<>() {
            public E read(JsonNode v, String path, List<String> p) {
                E e = v.isTextual() ? byName.get(v.asText()) : null;
                if (e != null) return e;
                String hint = v.isTextual() ? Suggest.nearest(v.asText(), byName.keySet()).map(s -> "; did you mean \"" + s + "\"?").orElse("") : "";
                p.add(quoted(path) + " must be one of " + String.join(", ", names) + " (got " + shown(v) + hint + ")");
                return null;
            }

            public String describe() {
                return "one of " + String.join(", ", names);
            }

            public Object toJson(E value) {
                return name.apply(value);
            }
        };
    }

    /** {@link #choice} for enums that implement {@link Named}. */
    public static <E extends Enum<E> & Named> ValueType<E> choice(Class<E> type) {
        Map<String, E> aliases = new LinkedHashMap<>();
        for (E e : type.getEnumConstants()) for (String a : e.aliases()) aliases.put(a, e);
        return choice(type, Named::configName, aliases);
    }

    /** An enum mode named in the config. */
    public interface Named {
        /** The name in the config: the enum constant's name in lower case. */
        default String configName() {
            return ((Enum<?>) this).name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Other names accepted for it (HF's older or longer spellings). */
        default List<String> aliases() {
            return List.of();
        }
    }

    /** One of a few literal JSON values (a setting only one value of which is supported, e.g. {@code "bias": "none"}). */
    public static ValueType<JsonNode> only(String why, Object... allowed) {
        List<JsonNode> values = Arrays.stream(allowed).map(a -> (JsonNode) Block.JSON.valueToTree(a)).toList();
        return new ValueType<>() {
            public JsonNode read(JsonNode v, String path, List<String> p) {
                if (values.contains(v)) return v;
                return problem(p, path, values.size() == 1 ? values.getFirst().toString() + " " + why
                        : "one of " + values.stream().map(JsonNode::toString).reduce((a, b) -> a + ", " + b).orElseThrow() + " " + why, v);
            }

            public String describe() {
                List<String> shown = values.stream().map(JsonNode::toString).toList();
                return shown.size() == 1 ? shown.getFirst()
                        : String.join(", ", shown.subList(0, shown.size() - 1)) + " or " + shown.getLast();
            }

            public Object toJson(JsonNode value) {
                return value;
            }
        };
    }

    /** Any JSON value that {@code accepted} allows ({@code what}: the rule in words); for keys that change nothing here. */
    public static ValueType<JsonNode> accepted(String what, Predicate<JsonNode> accepted) {
        return new ValueType<>() {
            public JsonNode read(JsonNode v, String path, List<String> p) {
                return accepted.test(v) ? v : problem(p, path, what, v);
            }

            public String describe() {
                return what;
            }
        };
    }

    /** A JSON object, checked by the code that uses it. */
    public static ValueType<JsonNode> object() {
        return new ValueType<>() {
            public JsonNode read(JsonNode v, String path, List<String> p) {
                return v.isObject() ? v : problem(p, path, "an object", v);
            }

            public String describe() {
                return "object";
            }
        };
    }

    /** A list of values of one type; with {@code single}, a lone value counts as a list of one. */
    public static <T> ValueType<List<T>> list(ValueType<T> element, boolean single) {
        return new ValueType<>() {
            public List<T> read(JsonNode v, String path, List<String> p) {
                if (!v.isArray()) {
                    if (!single) return problem(p, path, "a list", v);
                    T one = element.read(v, path, p);
                    return one == null ? null : List.of(one);
                }
                List<T> out = new ArrayList<>();
                int before = p.size();
                for (int i = 0; i < v.size(); i++) out.add(element.read(v.get(i), path + "[" + i + "]", p));
                return p.size() == before ? out : null;
            }

            public String describe() {
                return (single ? element.describe() + ", or a list of them" : "list of " + element.describe());
            }

            public Object toJson(List<T> value) {
                return value.stream().map(element::toJson).toList();
            }
        };
    }

    /** An object whose values are all of one type (PEFT's rank_pattern, alpha_pattern). */
    public static <T> ValueType<Map<String, T>> mapOf(ValueType<T> element) {
        return new ValueType<>() {
            public Map<String, T> read(JsonNode v, String path, List<String> p) {
                if (!v.isObject()) return problem(p, path, "an object", v);
                Map<String, T> out = new LinkedHashMap<>();
                int before = p.size();
                v.properties().forEach(e -> out.put(e.getKey(), element.read(e.getValue(), path + "." + e.getKey(), p)));
                return p.size() == before ? out : null;
            }

            public String describe() {
                return "object of " + element.describe();
            }
        };
    }

    /** Another type's values, seen as {@code U}. */
    public static <T, U> ValueType<U> map(ValueType<T> inner, Function<T, U> to, Function<U, T> back) {
        return new ValueType<>() {
            public U read(JsonNode v, String path, List<String> p) {
                T t = inner.read(v, path, p);
                return t == null ? null : to.apply(t);
            }

            public String describe() {
                return inner.describe();
            }

            public Object toJson(U value) {
                return inner.toJson(back.apply(value));
            }
        };
    }

    /** Either of two types, tried in order: the first that reads the value without a problem wins. */
    public static <T> ValueType<T> either(ValueType<? extends T> first, ValueType<? extends T> second, String what) {
        return new ValueType<>() {
            public T read(JsonNode v, String path, List<String> p) {
                List<String> scratch = new ArrayList<>();
                T a = first.read(v, path, scratch);
                if (scratch.isEmpty()) return a;
                scratch.clear();
                T b = second.read(v, path, scratch);
                if (scratch.isEmpty()) return b;
                return problem(p, path, what, v);
            }

            public String describe() {
                return what;
            }

            @SuppressWarnings("unchecked")
            public Object toJson(T value) {
                return value;
            }
        };
    }
}
