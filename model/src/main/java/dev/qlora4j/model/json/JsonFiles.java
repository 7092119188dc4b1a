package dev.qlora4j.model.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the JSON files of a Hugging Face checkpoint, turning every failure into a one-line BadInputException. */
public final class JsonFiles {
    // Python's json module accepts NaN and Infinity, and config files written by it may contain them.
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private JsonFiles() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The top-level object of {@code file}. */
    public static ObjectNode readObject(Path file) {
        JsonNode root = read(file);
        if (!(root instanceof ObjectNode object))
            throw BadInputException.at(file.toString(), "expected a JSON object at the top level, found " + JsonFields.describe(root));
        return object;
    }

    /** The top-level object of JSON text; {@code where} names it in errors. */
    public static ObjectNode readObjectFromString(String text, String where) {
        JsonNode root = parse(text, where);
        if (!(root instanceof ObjectNode object))
            throw BadInputException.at(where, "expected a JSON object at the top level, found " + JsonFields.describe(root));
        return object;
    }

    public static JsonNode read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw BadInputException.at(file.toString(), "file not found");
        } catch (IOException e) {
            throw new BadInputException("cannot read file: " + e.getMessage() + " (" + file + ")", e);
        }
        return parse(text, file.toString());
    }

    /** Parses {@code text}; {@code where} names it in errors. */
    public static JsonNode parse(String text, String where) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) throw BadInputException.at(where, "empty JSON document");
            return node;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String at = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new BadInputException("not valid JSON: " + firstLine(e.getOriginalMessage()) + at + " (" + where + ")", e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "syntax error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
