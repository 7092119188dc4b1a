package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The named special tokens of a model folder, from tokenizer_config.json ({@code bos_token},
 * {@code eos_token}, {@code pad_token}, {@code unk_token}: a string, a {@code {"content": ...}}
 * object, or null), with their ids in the tokenizer. These are names only: whether encode adds
 * BOS is decided by tokenizer.json's post-processor, never by {@code add_bos_token}.
 */
public record SpecialTokens(Optional<Token> bos, Optional<Token> eos, Optional<Token> pad, Optional<Token> unk) {
    /** A special token's text and id. */
    public record Token(String content, int id) {}

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** None of them (a folder without tokenizer_config.json). */
    public static SpecialTokens none() {
        return new SpecialTokens(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * Reads {@code tokenizer_config.json} from a model folder (or that file itself); a missing file
     * gives {@link #none()}.
     *
     * @throws BadInputException if the file is malformed or names a token the tokenizer lacks
     */
    public static SpecialTokens load(Path folderOrConfig, Tokenizer tokenizer) {
        Path file = Files.isDirectory(folderOrConfig) ? folderOrConfig.resolve("tokenizer_config.json") : folderOrConfig;
        if (!Files.isRegularFile(file)) {
            return none();
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw BadInputException.at(file.toString(), "invalid JSON: "
                    + String.valueOf(e.getMessage()).replaceAll("\\s*[\\r\\n]+\\s*", " "));
        }
        if (root == null || !root.isObject()) {
            throw BadInputException.at(file.toString(), "expected a JSON object");
        }
        String where = file.toString();
        return new SpecialTokens(token(root, "bos_token", where, tokenizer), token(root, "eos_token", where, tokenizer),
                token(root, "pad_token", where, tokenizer), token(root, "unk_token", where, tokenizer));
    }

    private static Optional<Token> token(JsonNode root, String field, String file, Tokenizer tokenizer) {
        JsonNode v = root.get(field);
        String where = file + ": " + field;
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        String content;
        if (v.isTextual()) {
            content = v.textValue();
        } else if (v.isObject() && v.get("content") != null && v.get("content").isTextual()) {
            content = v.get("content").textValue();
        } else {
            throw BadInputException.at(where, "expected a string or {\"content\": ...}, found " + JsonReader.describe(v));
        }
        var id = tokenizer.tokenToId(content);
        if (id.isEmpty()) {
            throw BadInputException.at(where, "token \"" + content + "\" is not in the tokenizer's vocabulary");
        }
        return Optional.of(new Token(content, id.getAsInt()));
    }
}
