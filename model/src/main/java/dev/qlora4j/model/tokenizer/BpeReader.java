package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.qlora4j.tensor.BadInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads tokenizer.json's {@code model} section token by token: a Llama-3 vocabulary (128k
 * entries, 280k merges, 9 MB) is never held as a JSON tree. Merges come as {@code "a b"} strings
 * (older files) or {@code ["a", "b"]} pairs; each is resolved to (left id, right id, rank, merged id).
 */
final class BpeReader {
    private final JsonParser parser;
    private final String file;

    private Map<String, Integer> vocab;
    private List<String> merges; // left and right token, alternating
    private final String[] options = new String[3]; // unk_token, continuing_subword_prefix, end_of_word_suffix
    private boolean fuseUnk;
    private boolean byteFallback;
    private boolean ignoreMerges;

    private BpeReader(JsonParser parser, String file) {
        this.parser = parser;
        this.file = file;
    }

    /** Reads the object the parser is positioned on (its START_OBJECT is the current token). */
    static BpeModel read(JsonParser parser, String file) throws IOException {
        return new BpeReader(parser, file).read();
    }

    private BadInputException error(String path, String what) {
        return BadInputException.at(file + ": " + path, what);
    }

    private BpeModel read() throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw error("model", "expected a JSON object");
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "type" -> {
                    String type = parser.getValueAsString();
                    if (!"BPE".equals(type)) {
                        throw error("model.type", "unsupported model type \"" + type + "\" (only BPE is implemented)");
                    }
                }
                case "unk_token" -> options[0] = optionalString(value, "model.unk_token");
                case "continuing_subword_prefix" -> options[1] = optionalString(value, "model.continuing_subword_prefix");
                case "end_of_word_suffix" -> options[2] = optionalString(value, "model.end_of_word_suffix");
                case "fuse_unk" -> fuseUnk = bool(value, "model.fuse_unk");
                case "byte_fallback" -> byteFallback = bool(value, "model.byte_fallback");
                case "ignore_merges" -> ignoreMerges = bool(value, "model.ignore_merges");
                case "vocab" -> readVocab(value);
                case "merges" -> readMerges(value);
                default -> parser.skipChildren(); // dropout and anything newer
            }
        }
        if (vocab == null) {
            throw error("model", "missing field \"vocab\"");
        }
        if (merges == null) {
            throw error("model", "missing field \"merges\"");
        }
        var config = new BpeModel.Config(options[0], options[1], options[2], fuseUnk, byteFallback, ignoreMerges);
        return new BpeModel(vocab, resolveMerges(), config, file);
    }

    private String optionalString(JsonToken value, String path) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw error(path, "expected a string");
        }
        return parser.getText();
    }

    private boolean bool(JsonToken value, String path) {
        if (value == JsonToken.VALUE_NULL) {
            return false;
        }
        if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE) {
            throw error(path, "expected true or false");
        }
        return value == JsonToken.VALUE_TRUE;
    }

    private void readVocab(JsonToken start) throws IOException {
        if (start != JsonToken.START_OBJECT) {
            throw error("model.vocab", "expected a JSON object of token: id");
        }
        vocab = new HashMap<>(1 << 18);
        long maxId = -1;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String token = parser.currentName();
            JsonToken v = parser.nextToken();
            if (v != JsonToken.VALUE_NUMBER_INT || parser.getNumberType() != JsonParser.NumberType.INT
                    || parser.getIntValue() < 0) {
                throw error("model.vocab", "the id of \"" + token + "\" is not a non-negative integer");
            }
            int id = parser.getIntValue();
            vocab.put(token, id);
            maxId = Math.max(maxId, id);
        }
        if (maxId >= 16L * vocab.size() + 65_536) {
            throw error("model.vocab", "ids go up to " + maxId + " for " + vocab.size() + " tokens");
        }
    }

    private void readMerges(JsonToken start) throws IOException {
        if (start != JsonToken.START_ARRAY) {
            throw error("model.merges", "expected a JSON array");
        }
        merges = new ArrayList<>(1 << 19);
        int index = 0;
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken(), index++) {
            String path = "model.merges[" + index + "]";
            if (t == JsonToken.VALUE_STRING) {
                String line = parser.getText();
                int space = line.indexOf(' ');
                if (space < 0 || line.indexOf(' ', space + 1) >= 0) {
                    throw error(path, "expected \"left right\", found \"" + line + "\"");
                }
                merges.add(line.substring(0, space));
                merges.add(line.substring(space + 1));
            } else if (t == JsonToken.START_ARRAY) {
                String left = pairElement(path);
                String right = pairElement(path);
                if (parser.nextToken() != JsonToken.END_ARRAY) {
                    throw error(path, "expected a pair [left, right]");
                }
                merges.add(left);
                merges.add(right);
            } else {
                throw error(path, "expected \"left right\" or [left, right]");
            }
        }
    }

    private String pairElement(String path) throws IOException {
        if (parser.nextToken() != JsonToken.VALUE_STRING) {
            throw error(path, "expected a pair [left, right] of strings");
        }
        return parser.getText();
    }

    /** Rank = position in the list; the merged token drops the right side's subword prefix. */
    private MergeTable resolveMerges() {
        MergeTable table = new MergeTable(merges.size() / 2);
        String prefix = options[1];
        for (int rank = 0; rank < merges.size() / 2; rank++) {
            String left = merges.get(2 * rank);
            String right = merges.get(2 * rank + 1);
            String path = "model.merges[" + rank + "]";
            int leftId = idOf(left, path);
            int rightId = idOf(right, path);
            String merged = left + withoutPrefix(right, prefix, path);
            table.put(leftId, rightId, rank, idOf(merged, path));
        }
        merges = null;
        return table;
    }

    private int idOf(String token, String path) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw error(path, "merge token \"" + token + "\" is not in the vocabulary");
        }
        return id;
    }

    /** Upstream cuts the prefix's byte length off the right token, whatever it starts with. */
    private String withoutPrefix(String right, String prefix, String path) {
        if (prefix == null || prefix.isEmpty()) {
            return right;
        }
        if (right.startsWith(prefix)) {
            return right.substring(prefix.length());
        }
        byte[] bytes = right.getBytes(StandardCharsets.UTF_8);
        int cut = prefix.getBytes(StandardCharsets.UTF_8).length;
        if (bytes.length < cut) {
            throw error(path, "merge token \"" + right + "\" is shorter than continuing_subword_prefix");
        }
        return new String(bytes, cut, bytes.length - cut, StandardCharsets.UTF_8);
    }
}
