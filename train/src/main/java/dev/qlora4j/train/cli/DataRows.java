package dev.qlora4j.train.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of a data file: JSON Lines (one object a line, blank lines skipped) or one JSON array
 * of objects. Each row knows where it came from, so that a problem with its content is reported
 * as "line 3 ..." or "item 3 ..." with the file name.
 */
final class DataRows {
    private DataRows() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One object of the file; {@code place} is "line N" (JSONL) or "item N" (array, from 1). */
    record Row(JsonNode node, String place, Path file) {
        UserError error(String what) {
            return new UserError(place + " " + what + " (" + file + ")");
        }
    }

    static List<Row> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new UserError("no such file (" + file + ")");
        String text;
        try {
            text = Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new UserError("not UTF-8 text (" + file + ")");
        }
        List<Row> rows = new ArrayList<>();
        if (text.stripLeading().startsWith("[")) {
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new UserError("not valid JSON at line " + e.getLocation().getLineNr() + " (" + file + ")");
            }
            for (int i = 0; i < root.size(); i++) rows.add(object(root.get(i), "item " + (i + 1), file));
        } else {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(lines[i]);
                } catch (JsonProcessingException e) {
                    throw new UserError("line " + (i + 1) + " is not JSON (" + file + ")");
                }
                rows.add(object(node, "line " + (i + 1), file));
            }
        }
        if (rows.isEmpty()) throw new UserError("no rows in the data file (" + file + ")");
        return rows;
    }

    private static Row object(JsonNode node, String place, Path file) {
        Row row = new Row(node, place, file);
        if (node == null || !node.isObject()) throw row.error("is not a JSON object");
        return row;
    }
}
