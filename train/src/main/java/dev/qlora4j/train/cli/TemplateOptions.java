package dev.qlora4j.train.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.data.TemplateVariables;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat template variables of {@code tokenize}, {@code generate} and {@code chat}, mixed into each:
 * {@code --tools FILE} and {@code --template-var KEY=VALUE}, as the {@code tools=} and other keyword
 * arguments of transformers' {@code apply_chat_template}. {@link #variables} reads and checks them.
 */
final class TemplateOptions {
    @Option(names = "--tools", paramLabel = "FILE",
            description = "tool definitions for the chat template (its tools): a JSON list of them, or an object with \"tools\"")
    Path tools;

    @Option(names = "--template-var", paramLabel = "KEY=VALUE",
            description = "a further chat template variable, e.g. enable_thinking=false (repeatable; VALUE as JSON when it parses, "
                    + "else a string)")
    List<String> templateVars = new ArrayList<>();

    /** Whether either option was given. */
    boolean given() {
        return tools != null || !templateVars.isEmpty();
    }

    /** The variables: each {@code --template-var} in order (a later KEY wins), and {@code --tools} as {@code tools}. */
    Map<String, Object> variables() {
        Map<String, Object> vars = new LinkedHashMap<>();
        for (String kv : templateVars) {
            int eq = kv.indexOf('=');
            if (eq < 0) throw new UserError("--template-var wants KEY=VALUE, got '" + kv + "' (--template-var)");
            String key = kv.substring(0, eq).strip();
            JsonNode value = TrainingConfigParser.overrideValue(kv.substring(eq + 1));
            String problem = TemplateVariables.problem(key, value);
            if (problem != null) throw new UserError((key.equals("tools") ? "tools " : "--template-var ") + problem + " (--template-var " + kv + ")");
            vars.put(key, TemplateVariables.value(value));
        }
        if (tools != null) {
            if (vars.containsKey("tools")) throw new UserError("give --tools or --template-var tools=..., not both");
            vars.put("tools", TemplateVariables.value(readTools(tools)));
        }
        return vars;
    }

    /** A tools file: a JSON list of tool definitions, or an object whose "tools" is one. */
    static JsonNode readTools(Path file) {
        if (!Files.isRegularFile(file)) throw new UserError("no such tools file (--tools " + file + ")");
        JsonNode root;
        try {
            root = JsonFiles.mapper().readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new UserError("not valid JSON at line " + e.getLocation().getLineNr() + " (--tools " + file + ")");
        } catch (IOException e) {
            throw new UserError("cannot read: " + e.getMessage() + " (--tools " + file + ")");
        }
        if (root == null || !(root.isArray() || root.isObject() && root.has("tools")))
            throw new UserError("expected a JSON list of tool definitions, or an object with \"tools\" (--tools " + file + ")");
        JsonNode list = root.isArray() ? root : root.get("tools");
        String bad = list.isNull() ? "is not a list of tool definitions (JSON objects): got null" : TemplateVariables.toolsProblem(list);
        if (bad != null) throw new UserError((root.isArray() ? "the file " : "\"tools\" ") + bad + " (--tools " + file + ")");
        return list;
    }
}
