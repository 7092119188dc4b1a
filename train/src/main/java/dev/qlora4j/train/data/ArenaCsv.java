package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The LMSYS Chatbot Arena CSV (Kaggle "LLM Classification Finetuning"): columns id, model_a,
 * model_b, prompt, response_a, response_b, winner_model_a, winner_model_b, winner_tie, in any
 * order (extra columns are ignored), RFC 4180 quoting. Each record becomes a classification row
 * {@code {"text": ..., "label": 0|1|2}} (winner a / winner b / tie) whose id is the {@code id}
 * column. The text is {@code "<prompt>: " + prompt + "\n\n<response_a>: " + a + "\n\n<response_b>: " + b};
 * a prompt or response written as a JSON list of strings (as the Kaggle files write them, one
 * item per turn; recognised by its start {@code ["}, {@code [null} or {@code []} and its closing
 * bracket) is joined with "\n", null items counting as empty; anything else is taken as plain text.
 *
 * <p>A file without any of the three winner columns (Kaggle's test.csv) gives rows without a
 * label, for prediction; training and evaluation then say that the rows have no label.
 *
 * <p>A malformed record (wrong field count, winner flags that are not exactly one 1 among 0s, an
 * id that is not an integer, a field that looks like a JSON list but is not a list of strings) is
 * counted and skipped; a file with no good record, or one the CSV syntax breaks (an unterminated
 * quote), is an error.
 */
final class ArenaCsv {
    private ArenaCsv() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectReader STRICT_JSON = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** How a JSON list of strings begins: a string, a null item, or nothing. Plain text such as "[INST] ..." does not. */
    private static final Pattern JSON_LIST_START = Pattern.compile("^\\[\\s*(\"|null\\b|])");
    private static final List<String> WINNERS = List.of("winner_model_a", "winner_model_b", "winner_tie");
    private static final List<String> REQUIRED = List.of("id", "prompt", "response_a", "response_b");

    /** The good rows and the skipped ones. */
    record Result(List<DataRows.Row> rows, RowIssues malformed) {}

    /** A record that cannot be used; the message says why. */
    private static final class Malformed extends Exception {
        Malformed(String why) {
            super(why, null, false, false);
        }
    }

    static Result read(Path file) {
        if (!Files.isRegularFile(file)) throw BadInputException.at(file.toString(), "no such file");
        CSVFormat format = CSVFormat.RFC4180.builder().get();
        List<DataRows.Row> rows = new ArrayList<>();
        RowIssues.Counter malformed = new RowIssues.Counter();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser parser = CSVParser.parse(reader, format)) {
            Iterator<CSVRecord> records = parser.iterator();
            if (!records.hasNext()) throw BadInputException.at(file.toString(), "empty CSV file: expected a header line");
            Header header = header(records.next(), file);
            long lineBefore = parser.getCurrentLineNumber();
            while (records.hasNext()) {
                CSVRecord record = records.next();
                // a record starts on the line after the one the previous record ended on
                String place = "line " + (lineBefore + 1);
                lineBefore = parser.getCurrentLineNumber();
                if (record.size() == 1 && record.get(0).isEmpty()) continue;   // a blank line
                try {
                    rows.add(row(record, header, place, file));
                } catch (Malformed e) {
                    malformed.add(place + " (" + e.getMessage() + ")");
                }
            }
        } catch (UncheckedIOException e) {
            throw syntaxError(file, e.getCause());
        } catch (CharacterCodingException e) {
            throw BadInputException.at(file.toString(), "not UTF-8 text");
        } catch (IOException e) {
            throw syntaxError(file, e);
        }
        if (rows.isEmpty()) {
            if (malformed.count() == 0) throw BadInputException.at(file.toString(), "no rows in the data file");
            throw BadInputException.at(file.toString(), "every row is malformed: " + malformed.issues());
        }
        return new Result(rows, malformed.issues());
    }

    private static BadInputException syntaxError(Path file, IOException e) {
        if (e instanceof CharacterCodingException) return BadInputException.at(file.toString(), "not UTF-8 text");
        String why = String.valueOf(e.getMessage()).replaceAll("\\s*[\\r\\n]+\\s*", " ");
        return new BadInputException("CSV syntax error: " + why + " (" + file + ")", e);
    }

    /** Column positions by name, how many fields every record must have, whether the winner columns are there. */
    private record Header(Map<String, Integer> columns, int fields, boolean labelled) {
        String get(CSVRecord record, String column) {
            return record.get(columns.get(column));
        }
    }

    private static Header header(CSVRecord record, Path file) {
        Map<String, Integer> columns = new HashMap<>();
        for (int i = 0; i < record.size(); i++) {
            String name = record.get(i).strip();
            if (i == 0 && name.startsWith("\uFEFF")) name = name.substring(1).strip();   // a UTF-8 byte order mark
            columns.putIfAbsent(name, i);
        }
        List<String> missing = new ArrayList<>(REQUIRED.stream().filter(c -> !columns.containsKey(c)).toList());
        boolean labelled = WINNERS.stream().anyMatch(columns::containsKey);
        if (labelled) WINNERS.stream().filter(c -> !columns.containsKey(c)).forEach(missing::add);
        if (!missing.isEmpty())
            throw BadInputException.at(file.toString(), "the CSV header lacks the preference_pair column" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing) + "; it has " + String.join(", ", Arrays.asList(record.values())));
        return new Header(columns, record.size(), labelled);
    }

    private static DataRows.Row row(CSVRecord record, Header header, String place, Path file) throws Malformed {
        if (record.size() != header.fields()) throw new Malformed("has " + record.size() + " fields, expected " + header.fields());
        long id;
        try {
            id = Long.parseLong(header.get(record, "id").strip());
        } catch (NumberFormatException e) {
            throw new Malformed("id \"" + abbreviate(header.get(record, "id")) + "\" is not an integer");
        }
        int label = -1;
        for (int w = 0; header.labelled() && w < WINNERS.size(); w++) {
            String flag = header.get(record, WINNERS.get(w)).strip();
            if (!flag.equals("0") && !flag.equals("1"))
                throw new Malformed(WINNERS.get(w) + " is \"" + abbreviate(flag) + "\", expected 0 or 1");
            if (flag.equals("1")) {
                if (label >= 0) throw new Malformed("more than one winner column is 1");
                label = w;
            }
        }
        if (header.labelled() && label < 0) throw new Malformed("no winner column is 1");
        String text = "<prompt>: " + turns(header, record, "prompt")
                + "\n\n<response_a>: " + turns(header, record, "response_a")
                + "\n\n<response_b>: " + turns(header, record, "response_b");
        ObjectNode node = JSON.createObjectNode().put("text", text);
        if (header.labelled()) node.put("label", label);
        return new DataRows.Row(node, place, file, id);
    }

    /** A field as plain text, or a JSON list of strings (null items empty) joined with "\n". */
    private static String turns(Header header, CSVRecord record, String column) throws Malformed {
        String raw = header.get(record, column);
        String s = raw.strip();
        if (!(JSON_LIST_START.matcher(s).find() && s.endsWith("]"))) return raw;
        JsonNode list;
        try {
            list = STRICT_JSON.readTree(s);
        } catch (IOException e) {
            throw new Malformed(column + " looks like a JSON list but does not parse");
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : list) {
            if (item.isNull()) items.add("");
            else if (item.isTextual()) items.add(item.textValue());
            else throw new Malformed(column + " is a JSON list with an item that is not a string");
        }
        return String.join("\n", items);
    }

    private static String abbreviate(String s) {
        return s.length() <= 20 ? s : s.substring(0, 20) + "...";
    }
}
