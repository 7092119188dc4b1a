package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.tensor.BadInputException;

/**
 * Typed access to the small sections of tokenizer.json, naming the file and the JSON path (for
 * example {@code pre_tokenizer.pretokenizers[1].pattern}) in every error.
 */
final class JsonReader {
    private final String file;

    JsonReader(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    /** "file: path", the {@code where} of an error. */
    String where(String path) {
        return path.isEmpty() ? file : file + ": " + path;
    }

    BadInputException error(String path, String what) {
        return BadInputException.at(where(path), what);
    }

    static String child(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    JsonNode object(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw error(path, "expected a JSON object, found " + describe(node));
        }
        return node;
    }

    JsonNode array(JsonNode node, String path) {
        if (node == null || !node.isArray()) {
            throw error(path, "expected a JSON array, found " + describe(node));
        }
        return node;
    }

    JsonNode required(JsonNode obj, String field, String path) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            throw error(child(path, field), "missing field \"" + field + "\"");
        }
        return v;
    }

    /** The component's {@code type} field. */
    String type(JsonNode obj, String path) {
        return string(object(obj, path), "type", path);
    }

    String string(JsonNode obj, String field, String path) {
        JsonNode v = required(obj, field, path);
        if (!v.isTextual()) {
            throw error(child(path, field), "expected a string, found " + describe(v));
        }
        return v.textValue();
    }

    /** A string field that may be missing or null. */
    String optString(JsonNode obj, String field, String path, String fallback) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw error(child(path, field), "expected a string, found " + describe(v));
        }
        return v.textValue();
    }

    boolean bool(JsonNode obj, String field, String path, boolean fallback) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw error(child(path, field), "expected true or false, found " + describe(v));
        }
        return v.booleanValue();
    }

    /** A non-negative integer that fits an int (ids, counts). */
    int count(JsonNode v, String path) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw error(path, "expected a non-negative integer, found " + describe(v));
        }
        return v.intValue();
    }

    int count(JsonNode obj, String field, String path, int fallback) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        return count(v, child(path, field));
    }

    /** A string of exactly one code point (Metaspace's replacement, Strip's content). */
    int singleChar(JsonNode obj, String field, String path) {
        String s = string(obj, field, path);
        if (s.isEmpty() || s.codePointCount(0, s.length()) != 1) {
            throw error(child(path, field), "expected a single character, found \"" + s + "\"");
        }
        return s.codePointAt(0);
    }

    /** A {"String": ...} or {"Regex": ...} pattern; a String pattern matches literally. */
    OnigRegex pattern(JsonNode obj, String field, String path) {
        String at = child(path, field);
        JsonNode p = object(required(obj, field, path), at);
        if (p.has("String")) {
            return OnigRegex.literal(string(p, "String", at));
        }
        if (p.has("Regex")) {
            return OnigRegex.compile(string(p, "Regex", at), where(child(at, "Regex")));
        }
        throw error(at, "expected {\"String\": ...} or {\"Regex\": ...}, found " + describe(p));
    }

    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        String s = node.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
