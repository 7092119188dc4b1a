package dev.qlora4j.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Filters whose jinjava versions differ from the jinja2 ones transformers renders with:
 * {@code tojson} (transformers' json.dumps without HTML escaping), string filters with Python's
 * whitespace and case rules, {@code length} in code points, and {@code items}, which jinjava lacks.
 */
final class PyFilters {
    private PyFilters() {}

    static List<Filter> all() {
        return List.of(new ToJson(), new Length(), new Items(), new Join(), new Sum(), new Default("default"), new Default("d"),
                stringFilter("trim", null), stringFilter("upper", PyStrings::upper), stringFilter("lower", PyStrings::lower),
                stringFilter("capitalize", PyStrings::capitalize), stringFilter("title", PyStrings::titleWords),
                stringFilter("string", Function.identity()));
    }

    /** Base for filters that take positional and keyword arguments as objects. */
    private abstract static class PyFilter implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public abstract Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs);

        /** Argument {@code name}, passed by keyword or as positional {@code position}, or null. */
        static Object arg(Object[] args, Map<String, Object> kwargs, int position, String name) {
            if (kwargs.containsKey(name)) return kwargs.get(name);
            return args != null && args.length > position ? args[position] : null;
        }
    }

    /** A filter applying a str → str function to str(value); trim takes jinja2's optional chars. */
    private static Filter stringFilter(String name, Function<String, String> f) {
        return new PyFilter() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
                String s = PyValues.str(var);
                if (f != null) return f.apply(s);
                Object chars = arg(args, kwargs, 0, "chars");
                return PyStrings.strip(s, chars == null ? null : PyValues.str(chars));
            }
        };
    }

    /** transformers' tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False). */
    static final class ToJson extends PyFilter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            boolean ensureAscii = PyValues.truthy(arg(args, kwargs, 0, "ensure_ascii"));
            Object indent = arg(args, kwargs, 1, "indent");
            Object separators = arg(args, kwargs, 2, "separators");
            boolean sortKeys = PyValues.truthy(arg(args, kwargs, 3, "sort_keys"));
            String indentText = switch (indent) {
                case null -> null;
                case Number n -> " ".repeat(Math.max(0, n.intValue()));
                default -> PyValues.str(indent);
            };
            List<String> seps = null;
            if (separators != null) {
                if (!(separators instanceof Collection<?> c) || c.size() != 2)
                    throw new IllegalArgumentException("tojson separators must be a pair of strings, got " + PyValues.repr(separators));
                seps = new ArrayList<>();
                for (Object o : c) seps.add(PyValues.str(o));
            }
            return new PyJson(indentText, seps, sortKeys, ensureAscii).write(var);
        }
    }

    /** len(): code points for strings, entries for collections; undefined has length 0. */
    static final class Length extends PyFilter {
        @Override
        public String getName() {
            return "length";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            return switch (var) {
                case null -> 0;
                case CharSequence s -> PyStrings.length(s.toString());
                case Collection<?> c -> c.size();
                case Map<?, ?> m -> m.size();
                case Object[] a -> a.length;
                default -> throw new IllegalArgumentException("object of type " + var.getClass().getSimpleName() + " has no len()");
            };
        }
    }

    /** jinja2's items: the (key, value) pairs of a mapping; undefined gives none. */
    static final class Items extends PyFilter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (var == null) return List.of();
            if (!(var instanceof Map<?, ?> m)) throw new IllegalArgumentException("Can only get item pairs from a mapping.");
            return new ArrayList<>(m.entrySet());
        }
    }

    /**
     * default(value, default_value='', boolean=False): the default for an undefined value (or a
     * falsy one with boolean=True), kept as it is; jinjava would turn it into a string.
     */
    static final class Default extends PyFilter {
        private final String name;

        Default(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object dflt = arg(args, kwargs, 0, "default_value");
            boolean onFalsy = PyValues.truthy(arg(args, kwargs, 1, "boolean"));
            if (var == null || (onFalsy && !PyValues.truthy(var))) return dflt == null && args.length == 0 && !kwargs.containsKey("default_value") ? "" : dflt;
            return var;
        }
    }

    /** sum(iterable, attribute=None, start=0): an int while every term is one, as in Python. */
    static final class Sum extends PyFilter {
        @Override
        public String getName() {
            return "sum";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object attribute = arg(args, kwargs, 0, "attribute");
            Object start = arg(args, kwargs, 1, "start");
            List<Object> terms = new ArrayList<>();
            terms.add(start == null ? 0L : start);
            if (var instanceof Iterable<?> it)
                for (Object o : it) terms.add(attribute != null && o instanceof Map<?, ?> m ? m.get(PyValues.str(attribute)) : o);
            // left to right like Python: integers until the first float, then floats
            Number acc = null;
            for (Object t : terms) {
                if (!(t instanceof Number n))
                    throw new IllegalArgumentException("unsupported operand type(s) for +: 'int' and '" + PyOperators.typeName(t) + "'");
                if (acc == null) acc = n;
                else if (isFloat(acc) || isFloat(n)) acc = acc.doubleValue() + n.doubleValue();
                else acc = acc.longValue() + n.longValue();
            }
            return acc;
        }
    }

    private static boolean isFloat(Number n) {
        return n instanceof Double || n instanceof Float || n instanceof java.math.BigDecimal;
    }

    /** join(d='', attribute=None) with Python's str() of each item. */
    static final class Join extends PyFilter {
        @Override
        public String getName() {
            return "join";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object sep = arg(args, kwargs, 0, "d");
            Object attribute = arg(args, kwargs, 1, "attribute");
            Object items = var;
            if (attribute != null && var instanceof Iterable<?> it) {
                List<Object> picked = new ArrayList<>();
                for (Object o : it) picked.add(o instanceof Map<?, ?> m ? m.get(PyValues.str(attribute)) : null);
                items = picked;
            }
            return PyStrings.join(sep == null ? "" : PyValues.str(sep), items == null ? List.of() : items);
        }
    }
}
