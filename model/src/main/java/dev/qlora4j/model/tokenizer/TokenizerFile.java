package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads tokenizer.json in one streaming pass: the model section token by token ({@link BpeReader}),
 * the other sections (small) as trees. Added tokens are registered last, after the model and the
 * normalizer exist, because their ids and normalized forms depend on both.
 */
final class TokenizerFile {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TokenizerFile() {}

    static Tokenizer read(Path fileOrFolder) {
        Path file = Files.isDirectory(fileOrFolder) ? fileOrFolder.resolve("tokenizer.json") : fileOrFolder;
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw BadInputException.at(name, "no such file");
        }
        JsonReader json = new JsonReader(name);
        try (JsonParser parser = MAPPER.createParser(file.toFile())) {
            return read(parser, json, file);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String at = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw BadInputException.at(name, "invalid JSON" + at + ": " + oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw BadInputException.at(name, "cannot read: " + oneLine(String.valueOf(e.getMessage())));
        }
    }

    private static Tokenizer read(JsonParser parser, JsonReader json, Path file) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            throw json.error("", "expected a JSON object at the top level");
        }
        BpeModel model = null;
        JsonNode addedTokens = null;
        JsonNode normalizer = null;
        JsonNode preTokenizer = null;
        JsonNode postProcessor = null;
        JsonNode decoder = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            parser.nextToken();
            switch (field) {
                case "model" -> model = BpeReader.read(parser, json.file());
                case "added_tokens" -> addedTokens = parser.readValueAsTree();
                case "normalizer" -> normalizer = parser.readValueAsTree();
                case "pre_tokenizer" -> preTokenizer = parser.readValueAsTree();
                case "post_processor" -> postProcessor = parser.readValueAsTree();
                case "decoder" -> decoder = parser.readValueAsTree();
                case "version" -> {
                    String version = parser.getValueAsString();
                    if (!"1.0".equals(version)) {
                        throw json.error("version", "unknown tokenizer.json version \"" + version + "\"");
                    }
                }
                default -> parser.skipChildren(); // truncation and padding do not apply to encode()
            }
        }
        if (model == null) {
            throw json.error("model", "missing field \"model\"");
        }
        var norm = Normalizers.read(json, normalizer, "normalizer");
        var pre = PreTokenizers.read(json, preTokenizer, "pre_tokenizer");
        var post = PostProcessors.read(json, postProcessor, "post_processor");
        var dec = Decoders.read(json, decoder, "decoder");
        var added = new AddedVocabulary(addedEntries(json, addedTokens), model, norm);
        return new Tokenizer(file, model, added, norm, pre, post, dec);
    }

    private static List<AddedVocabulary.Entry> addedEntries(JsonReader json, JsonNode list) {
        List<AddedVocabulary.Entry> entries = new ArrayList<>();
        if (list == null || list.isNull()) {
            return entries;
        }
        json.array(list, "added_tokens");
        for (int i = 0; i < list.size(); i++) {
            String path = JsonReader.index("added_tokens", i);
            JsonNode t = json.object(list.get(i), path);
            boolean special = json.bool(t, "special", path, false);
            entries.add(new AddedVocabulary.Entry(json.string(t, "content", path),
                    json.bool(t, "single_word", path, false), json.bool(t, "lstrip", path, false),
                    json.bool(t, "rstrip", path, false), json.bool(t, "normalized", path, !special), special));
        }
        return entries;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
