package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.json.JsonFiles;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Chat template variables beyond the conversation, as transformers' {@code apply_chat_template(messages,
 * tools=..., **kwargs)} passes them: {@code tools} (a list of tool definitions, JSON schemas), and any
 * other keyword ({@code documents}, {@code enable_thinking}, {@code date_string}, ...). JSON values
 * become the maps, lists, strings, numbers, booleans and None the template sees.
 */
public final class TemplateVariables {
    private TemplateVariables() {}

    /** A JSON value as the template sees it. */
    public static Object value(JsonNode v) {
        return v == null || v.isNull() ? null : JsonFiles.mapper().convertValue(v, Object.class);
    }

    /** A JSON object's fields as template variables, in their order. */
    public static Map<String, Object> of(JsonNode object) {
        Map<String, Object> vars = new LinkedHashMap<>();
        if (object != null) for (var f : object.properties()) vars.put(f.getKey(), value(f.getValue()));
        return vars;
    }

    /**
     * What is wrong with a {@code tools} value, or null when it is a list of tool definitions (JSON
     * objects, as transformers requires of a schema) or JSON null (no tools).
     */
    public static String toolsProblem(JsonNode tools) {
        if (tools == null || tools.isNull()) return null;
        if (!tools.isArray()) return "is not a list of tool definitions (JSON objects): got " + kind(tools);
        for (int i = 0; i < tools.size(); i++)
            if (!tools.get(i).isObject())
                return "is not a list of tool definitions (JSON objects): item " + i + " is " + kind(tools.get(i));
        return null;
    }

    /** What is wrong with one template variable: a {@code tools} that is no list of tool definitions, or a name it may not take. */
    public static String problem(String name, JsonNode value) {
        return name.equals("tools") ? toolsProblem(value) : nameProblem(name);
    }

    /** What is wrong with an extra variable's name, or null when the template may take it. */
    public static String nameProblem(String name) {
        if (name.isEmpty()) return "gives a template variable without a name";
        if (name.equals("messages")) return "gives \"messages\" as a template variable: the conversation is the messages";
        if (name.equals("add_generation_prompt"))
            return "gives \"add_generation_prompt\" as a template variable: the command decides it (tokenize: --add-generation-prompt)";
        return null;
    }

    /** "a string", "an object", ... for messages. */
    public static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
