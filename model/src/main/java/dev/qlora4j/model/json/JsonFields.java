package dev.qlora4j.model.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Typed access to the fields of one JSON object of a file, with errors that name the file and the
 * key. For most fields a JSON {@code null} counts as absent; the {@code nullable...} accessors keep
 * the difference for fields where transformers gives null a meaning of its own (a null
 * {@code sliding_window} or {@code final_logit_softcapping} switches the feature off, while an
 * absent one takes the class default).
 */
public final class JsonFields {
    private final ObjectNode node;
    private final String file;
    private final String prefix;

    public JsonFields(ObjectNode node, String file) {
        this(node, file, "");
    }

    private JsonFields(ObjectNode node, String file, String prefix) {
        this.node = node;
        this.file = file;
        this.prefix = prefix;
    }

    public ObjectNode node() {
        return node;
    }

    public String file() {
        return file;
    }

    /** "file: key" (with the path of enclosing objects), the location used in error messages. */
    public String where(String key) {
        return file + ": " + prefix + key;
    }

    /** "file: outer.key" for a nested object, "file" for the top level. */
    public String location() {
        return prefix.isEmpty() ? file : file + ": " + prefix.substring(0, prefix.length() - 1);
    }

    /** True when the key is present with a non-null value. */
    public boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** True when the key is present, even with a null value. */
    public boolean hasKey(String key) {
        return node.has(key);
    }

    public JsonNode get(String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    public BadInputException missing(String key) {
        return BadInputException.at(file, "missing required field \"" + prefix + key + "\"");
    }

    public BadInputException invalid(String key, String what) {
        return BadInputException.at(where(key), "\"" + prefix + key + "\" " + what);
    }

    private BadInputException wrongType(String key, String expected, JsonNode v) {
        return invalid(key, "must be " + expected + ", got " + describe(v));
    }

    public int requireInt(String key) {
        if (!has(key)) throw missing(key);
        return toInt(key, get(key));
    }

    public int intOr(String key, int dflt) {
        return has(key) ? toInt(key, get(key)) : dflt;
    }

    /** The integer value, or null when absent. */
    public Integer optInt(String key) {
        return has(key) ? toInt(key, get(key)) : null;
    }

    public int requirePositiveInt(String key) {
        int v = requireInt(key);
        if (v <= 0) throw invalid(key, "must be positive, got " + v);
        return v;
    }

    public int positiveIntOr(String key, int dflt) {
        int v = intOr(key, dflt);
        if (v <= 0) throw invalid(key, "must be positive, got " + v);
        return v;
    }

    /** {@code dflt} when the key is absent, null when its value is null, else the integer. */
    public Integer nullableInt(String key, Integer dflt) {
        if (!node.has(key)) return dflt;
        return has(key) ? toInt(key, get(key)) : null;
    }

    /** {@code dflt} when the key is absent, null when its value is null, else the number. */
    public Double nullableDouble(String key, Double dflt) {
        if (!node.has(key)) return dflt;
        return has(key) ? toDouble(key, get(key)) : null;
    }

    private int toInt(String key, JsonNode v) {
        if (!v.isIntegralNumber()) throw wrongType(key, "an integer", v);
        if (!v.canConvertToInt()) throw invalid(key, "is out of range: " + v.asText());
        return v.intValue();
    }

    public double requireDouble(String key) {
        if (!has(key)) throw missing(key);
        return toDouble(key, get(key));
    }

    public double doubleOr(String key, double dflt) {
        return has(key) ? toDouble(key, get(key)) : dflt;
    }

    public Double optDouble(String key) {
        return has(key) ? toDouble(key, get(key)) : null;
    }

    private double toDouble(String key, JsonNode v) {
        if (!v.isNumber()) throw wrongType(key, "a number", v);
        return v.doubleValue();
    }

    public boolean boolOr(String key, boolean dflt) {
        if (!has(key)) return dflt;
        JsonNode v = get(key);
        if (!v.isBoolean()) throw wrongType(key, "true or false", v);
        return v.booleanValue();
    }

    public String optString(String key) {
        if (!has(key)) return null;
        JsonNode v = get(key);
        if (!v.isTextual()) throw wrongType(key, "a string", v);
        return v.textValue();
    }

    public String stringOr(String key, String dflt) {
        String s = optString(key);
        return s == null ? dflt : s;
    }

    /** An integer or a list of integers (eos_token_id); empty when absent. */
    public List<Integer> intOrIntList(String key) {
        if (!has(key)) return List.of();
        JsonNode v = get(key);
        if (v.isArray()) {
            List<Integer> out = new ArrayList<>(v.size());
            for (JsonNode e : v) {
                if (!e.isIntegralNumber() || !e.canConvertToInt())
                    throw wrongType(key, "an integer or a list of integers", v);
                out.add(e.intValue());
            }
            return Collections.unmodifiableList(out);
        }
        if (!v.isIntegralNumber()) throw wrongType(key, "an integer or a list of integers", v);
        return List.of(toInt(key, v));
    }

    /** A list of strings, or null when absent. */
    public List<String> optStringList(String key) {
        if (!has(key)) return null;
        JsonNode v = get(key);
        if (!v.isArray()) throw wrongType(key, "a list of strings", v);
        List<String> out = new ArrayList<>(v.size());
        for (JsonNode e : v) {
            if (!e.isTextual()) throw wrongType(key, "a list of strings", v);
            out.add(e.textValue());
        }
        return Collections.unmodifiableList(out);
    }

    /** The nested object, or null when absent; its errors name "outer.key". */
    public JsonFields optObject(String key) {
        if (!has(key)) return null;
        JsonNode v = get(key);
        if (!(v instanceof ObjectNode o)) throw wrongType(key, "an object", v);
        return new JsonFields(o, file, prefix + key + ".");
    }

    /** A short description of a JSON value for error messages: its type and, if short, the value. */
    public static String describe(JsonNode v) {
        if (v == null || v.isNull()) return "null";
        String type = v.isTextual() ? "string" : v.isIntegralNumber() ? "integer" : v.isNumber() ? "number"
                : v.isBoolean() ? "boolean" : v.isArray() ? "list" : v.isObject() ? "object" : v.getNodeType().toString();
        if (v.isContainerNode()) return type;
        String text = v.isTextual() ? '"' + v.textValue() + '"' : v.asText();
        return text.length() > 40 ? type : type + " " + text;
    }
}
