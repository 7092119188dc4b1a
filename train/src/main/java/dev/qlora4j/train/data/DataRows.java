package dev.qlora4j.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.BadInputException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of a JSON data file: JSON Lines (one object a line, blank lines skipped) or one JSON
 * array of objects. Each row knows where it came from, so that a problem with its content is
 * reported as "line 3 ..." or "item 3 ..." with the file name.
 */
public final class DataRows {
    private DataRows() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One object of the file.
     *
     * @param place "line N" (JSONL, or the first line of a CSV record) or "item N" (array), from 1
     * @param id    the row's number among the file's rows, from 0 (a CSV row: its {@code id} column);
     *              folds are taken by it
     */
    public record Row(JsonNode node, String place, Path file, long id) {
        /** A one-line error about this row: "line 3 {@code what} (file)". */
        public BadInputException error(String what) {
            return BadInputException.at(file.toString(), place + " " + what);
        }

        /** "file: line 3", for reports. */
        public String origin() {
            return file + ": " + place;
        }
    }

    public static List<Row> read(Path file) {
        if (!Files.isRegularFile(file)) throw BadInputException.at(file.toString(), "no such file");
        String text;
        try {
            text = Files.readString(file);
        } catch (CharacterCodingException e) {
            throw BadInputException.at(file.toString(), "not UTF-8 text");
        } catch (IOException e) {
            throw new BadInputException("cannot read the file: " + e.getMessage() + " (" + file + ")", e);
        }
        List<Row> rows = new ArrayList<>();
        if (text.stripLeading().startsWith("[")) {
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw BadInputException.at(file.toString(), "not valid JSON at line " + e.getLocation().getLineNr());
            }
            for (int i = 0; i < root.size(); i++) rows.add(object(root.get(i), "item " + (i + 1), file, i));
        } else {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(lines[i]);
                } catch (JsonProcessingException e) {
                    throw BadInputException.at(file.toString(), "line " + (i + 1) + " is not JSON");
                }
                rows.add(object(node, "line " + (i + 1), file, rows.size()));
            }
        }
        if (rows.isEmpty()) throw BadInputException.at(file.toString(), "no rows in the data file");
        return rows;
    }

    private static Row object(JsonNode node, String place, Path file, long id) {
        Row row = new Row(node, place, file, id);
        if (node == null || !node.isObject()) throw row.error("is not a JSON object");
        return row;
    }
}
