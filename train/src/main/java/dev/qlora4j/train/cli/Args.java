package dev.qlora4j.train.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed command-line options: {@code --name value}, {@code --name=value}, boolean
 * {@code --flag}s and positional arguments. Options a command does not know are an error.
 */
public final class Args {
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    /**
     * @param flags   options that take no value
     * @param options options that take a value (may repeat)
     */
    public static Args parse(List<String> argv, Set<String> flags, Set<String> options) {
        Args a = new Args();
        for (int i = 0; i < argv.size(); i++) {
            String s = argv.get(i);
            if (!s.startsWith("--") || s.equals("--")) {
                a.positional.add(s);
                continue;
            }
            String name = s.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                if (value != null) throw new UserError("option --" + name + " takes no value (" + s + ")");
                a.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (options.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.size()) throw new UserError("option --" + name + " needs a value");
                    value = argv.get(++i);
                }
                a.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                throw new UserError("unknown option --" + name);
            }
        }
        return a;
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public String get(String name, String fallback) {
        List<String> v = values.get(name);
        return v == null ? fallback : v.getLast();
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    public int getInt(String name, int fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UserError("option --" + name + " wants an integer, got '" + v + "'");
        }
    }

    public long getLong(String name, long fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UserError("option --" + name + " wants an integer, got '" + v + "'");
        }
    }

    /** A finite number, or {@code fallback} when the option is absent. */
    public double getDouble(String name, double fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            double d = Double.parseDouble(v);
            if (Double.isFinite(d)) return d;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserError("option --" + name + " wants a number, got '" + v + "'");
    }

    public List<String> positional() {
        return positional;
    }
}
