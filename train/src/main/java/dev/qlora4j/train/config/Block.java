package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A group of keys read from one JSON object: the config's top level, or a nested block such as {@code lora}. */
public final class Block {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final String help;
    private final List<Key<?>> keys = new ArrayList<>();
    private final Map<String, Key<?>> byName = new LinkedHashMap<>();

    Block(String name, String help) {
        this.name = name;
        this.help = help;
    }

    /** "" for the top level. */
    public String name() {
        return name;
    }

    public String help() {
        return help;
    }

    boolean isTop() {
        return name.isEmpty();
    }

    /** Its keys in declaration order. */
    public List<Key<?>> keys() {
        return List.copyOf(keys);
    }

    <T> Key<T> key(String section, String name, ValueType<T> type, T dflt, String help) {
        return key(section, name, List.of(), type, dflt, dflt == null ? "none" : shownDefault(type, dflt), help);
    }

    /** A key whose default is not a fixed value: {@code defaultText} says what it is. */
    <T> Key<T> derived(String section, String name, ValueType<T> type, String defaultText, String help) {
        return key(section, name, List.of(), type, null, defaultText, help);
    }

    <T> Key<T> key(String section, String name, List<String> aliases, ValueType<T> type, T dflt, String defaultText, String help) {
        return add(new Key<>(this, section, name, aliases, type, dflt, defaultText, help, false));
    }

    /** A key HF configs carry that changes nothing here; {@code type} refuses the values this trainer cannot honour. */
    Key<JsonNode> inert(String section, String name, ValueType<JsonNode> type, String help) {
        return add(new Key<>(this, section, name, List.of(), type, null, "—", help, true));
    }

    private <T> Key<T> add(Key<T> key) {
        for (String n : names(key))
            if (byName.putIfAbsent(n, key) != null) throw new IllegalStateException("config key declared twice: " + n);
        keys.add(key);
        return key;
    }

    private static List<String> names(Key<?> k) {
        List<String> all = new ArrayList<>(k.aliases());
        all.addFirst(k.name());
        return all;
    }

    Optional<Key<?>> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    @SuppressWarnings("unchecked")
    private static <T> String shownDefault(ValueType<T> type, Object v) {
        try {
            Object json = type.toJson((T) v);
            if (json instanceof Double d && Double.isFinite(d)) {
                if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
                return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toString().toLowerCase(java.util.Locale.ROOT);
            }
            return JSON.writeValueAsString(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads {@code node} against the declarations: every unknown key (with the nearest known name
     * when it looks like a typo, or the block a key of another block belongs to), every value of
     * the wrong kind or out of range, and every key given under two of its names goes to
     * {@code problems}. A key that is absent, JSON null or wrong takes its default.
     *
     * @param others the nested blocks, to tell where a misplaced key belongs
     */
    Values read(ObjectNode node, List<String> problems, List<Block> others) {
        Values values = new Values(this);
        List<String> known = byName.keySet().stream().toList();
        node.fieldNames().forEachRemaining(field -> {
            if (byName.containsKey(field)) return;
            String where = isTop() ? field : name + "." + field;
            String hint = Suggest.nearest(field, known).map(s -> " (did you mean \"" + s + "\"?)").orElse("");
            if (hint.isEmpty())
                for (Block b : others)
                    if (b != this && b.byName.containsKey(field))
                        hint = b.isTop() ? " (it is a top-level key)" : " (it belongs in the \"" + b.name + "\" block)";
            problems.add("unknown key \"" + where + "\"" + hint);
        });
        for (Key<?> k : keys) read(k, node, values, problems);
        return values;
    }

    private static <T> void read(Key<T> k, ObjectNode node, Values values, List<String> problems) {
        List<String> given = names(k).stream().filter(n -> node.hasNonNull(n)).toList();
        if (given.size() > 1) {
            problems.add("give \"" + k.name() + "\" or its old name \"" + given.get(1) + "\", not both");
            return;
        }
        if (given.isEmpty()) return;
        JsonNode v = node.get(given.getFirst());
        T value = k.type().read(v, k.path(), problems);
        if (value != null) values.set(k, value);
    }

    /** The values read for one block: those given, else the declared defaults. */
    public static final class Values {
        private final Block block;
        private final Map<Key<?>, Object> given = new IdentityHashMap<>();

        Values(Block block) {
            this.block = block;
        }

        <T> void set(Key<T> key, T value) {
            given.put(key, value);
        }

        /** The value given, else the key's default (null when it has none). */
        @SuppressWarnings("unchecked")
        public <T> T get(Key<T> key) {
            if (key.block() != block) throw new IllegalArgumentException(key + " is not a key of this block");
            return given.containsKey(key) ? (T) given.get(key) : key.defaultValue();
        }

        /** Whether the user gave it (not JSON null, and a valid value). */
        public boolean given(Key<?> key) {
            return given.containsKey(key);
        }

        /** The block as JSON, every declared key that is not inert with its final value (null where none). */
        ObjectNode toJson(Map<Key<?>, Object> finalValues) {
            ObjectNode n = JSON.createObjectNode();
            for (Key<?> k : block.keys) {
                if (k.inert()) continue;
                Object v = finalValues.containsKey(k) ? finalValues.get(k) : get(k);
                n.set(k.name(), JSON.valueToTree(v == null ? null : json(k, v)));
            }
            return n;
        }

        @SuppressWarnings("unchecked")
        private static <T> Object json(Key<T> k, Object v) {
            return v instanceof JsonNode j ? j : k.type().toJson((T) v);
        }
    }
}
