package dev.qlora4j.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a checkpoint keeps its chat template, in transformers' order of preference:
 * chat_template.jinja, then chat_template.json (processors), then tokenizer_config.json's
 * "chat_template" (a string, or a list of {name, template} of which "default" is used).
 *
 * @param text   the template source as stored
 * @param origin the file (and key) it came from, for error messages
 */
record TemplateSource(String text, String origin) {
    static TemplateSource find(Path dir, ObjectNode tokenizerConfig, Path tokenizerConfigFile) {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) return new TemplateSource(readText(jinja), jinja.toString());
        Path json = dir.resolve("chat_template.json");
        if (Files.isRegularFile(json)) {
            JsonNode t = JsonFiles.readObject(json).get("chat_template");
            if (t != null && !t.isNull()) return fromNode(t, json + ": chat_template");
        }
        JsonNode t = tokenizerConfig == null ? null : tokenizerConfig.get("chat_template");
        if (t == null || t.isNull())
            throw BadInputException.at(dir.toString(),
                    "no chat template: neither chat_template.jinja nor a chat_template in tokenizer_config.json");
        return fromNode(t, tokenizerConfigFile + ": chat_template");
    }

    private static TemplateSource fromNode(JsonNode t, String where) {
        if (t.isTextual()) return new TemplateSource(t.textValue(), where);
        if (!t.isArray()) throw BadInputException.at(where, "chat_template must be a string or a list of {name, template}");
        List<String> names = new ArrayList<>();
        for (JsonNode entry : t) {
            JsonNode name = entry.get("name"), template = entry.get("template");
            if (name == null || !name.isTextual() || template == null || !template.isTextual())
                throw BadInputException.at(where, "chat_template list entries must be {\"name\": string, \"template\": string}");
            if (name.textValue().equals("default")) return new TemplateSource(template.textValue(), where + "[default]");
            names.add(name.textValue());
        }
        throw BadInputException.at(where, "no chat template named \"default\" among " + String.join(", ", names));
    }

    static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new BadInputException("cannot read file: " + e.getMessage() + " (" + file + ")", e);
        }
    }
}
