package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.train.data.TemplateVariables;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tokenize --chat FILE.json}: a conversation ({@code {"messages": [...], "tools": [...], ...}})
 * or a list of them, rendered with the model's chat template and tokenized without added special
 * tokens — what {@code apply_chat_template(messages, tools=..., **kwargs, tokenize=True)} returns
 * (the template writes BOS itself). Every key of a conversation other than {@code messages} is a
 * template variable; {@code --tools} and {@code --template-var} give further ones, and win over the
 * file's.
 */
final class ChatRendering {
    private ChatRendering() {}

    /** One conversation of the file and its own template variables. */
    private record Conversation(List<Map<String, Object>> messages, Map<String, Object> variables) {}

    static Object run(Path model, Tokenizer tokenizer, Path chatFile, boolean addGenerationPrompt, boolean continueFinalMessage,
                      Map<String, Object> variables, PrintStream out) throws IOException {
        JsonNode root = read(chatFile);
        List<Conversation> conversations = conversations(root, chatFile);
        ChatTemplate template = ChatTemplate.load(model);
        List<Map<String, Object>> results = new ArrayList<>();
        for (Conversation c : conversations) {
            Map<String, Object> vars = new LinkedHashMap<>(c.variables());
            vars.putAll(variables);
            String rendered = continueFinalMessage ? template.renderContinuing(c.messages(), vars)
                    : template.renderMessages(c.messages(), addGenerationPrompt, vars);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("rendered", rendered);
            result.put("ids", tokenizer.encode(rendered, false).ids());
            out.println(rendered);
            results.add(result);
        }
        return conversations.size() == 1 && !root.isArray() ? results.getFirst() : new Main.JsonLines(results);
    }

    private static JsonNode read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new UserError("no such file (" + file + ")");
        try {
            return new ObjectMapper().readTree(Files.readString(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserError("not valid JSON at line " + e.getLocation().getLineNr() + " (" + file + ")");
        }
    }

    /** Each conversation of the file: one object with "messages", or a list of them. */
    private static List<Conversation> conversations(JsonNode root, Path file) {
        List<JsonNode> items = new ArrayList<>();
        if (root.isArray()) root.forEach(items::add);
        else items.add(root);
        List<Conversation> result = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String at = file + ": " + (root.isArray() ? "[" + i + "]." : "");
            JsonNode messages = item.path("messages");
            if (!messages.isArray()) throw new UserError("expected {\"messages\": [...]} (" + at + "messages)");
            Map<String, Object> vars = new LinkedHashMap<>();
            for (var f : item.properties()) {
                String key = f.getKey();
                if (key.equals("messages")) continue;
                String problem = TemplateVariables.problem(key, f.getValue());
                if (problem != null) throw new UserError((key.equals("tools") ? "tools " : "the conversation ") + problem + " (" + at + key + ")");
                vars.put(key, TemplateVariables.value(f.getValue()));
            }
            result.add(new Conversation(ChatTemplate.parseMessages(messages.toString(), at + "messages"), vars));
        }
        return result;
    }
}
