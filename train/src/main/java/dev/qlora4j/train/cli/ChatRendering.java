package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tokenize --chat FILE.json}: a conversation ({@code {"messages": [...]}}) or a list of
 * them, rendered with the model's chat template and tokenized without added special tokens —
 * what {@code apply_chat_template(messages, tokenize=True)} returns (the template writes BOS
 * itself).
 */
final class ChatRendering {
    private ChatRendering() {}

    static Object run(Path model, Tokenizer tokenizer, Path chatFile, boolean addGenerationPrompt, PrintStream out)
            throws IOException {
        ChatTemplate template = ChatTemplate.load(model);
        List<List<Map<String, Object>>> conversations = conversations(chatFile);
        List<Map<String, Object>> results = new ArrayList<>();
        for (List<Map<String, Object>> messages : conversations) {
            String rendered = template.renderMessages(messages, addGenerationPrompt);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("rendered", rendered);
            result.put("ids", tokenizer.encode(rendered, false).ids());
            out.println(rendered);
            results.add(result);
        }
        return conversations.size() == 1 && !isList(chatFile) ? results.getFirst() : new Main.JsonLines(results);
    }

    private static boolean isList(Path file) throws IOException {
        return read(file).isArray();
    }

    private static JsonNode read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new UserError("no such file (" + file + ")");
        try {
            return new ObjectMapper().readTree(Files.readString(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UserError("not valid JSON at line " + e.getLocation().getLineNr() + " (" + file + ")");
        }
    }

    /** The messages of each conversation in the file: one object with "messages", or a list of them. */
    private static List<List<Map<String, Object>>> conversations(Path file) throws IOException {
        JsonNode root = read(file);
        List<JsonNode> items = new ArrayList<>();
        if (root.isArray()) root.forEach(items::add);
        else items.add(root);
        List<List<Map<String, Object>>> result = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode messages = items.get(i).path("messages");
            String where = root.isArray() ? file + ": [" + i + "].messages" : file + ": messages";
            if (!messages.isArray()) throw new UserError("expected {\"messages\": [...]} (" + where + ")");
            result.add(ChatTemplate.parseMessages(messages.toString(), where));
        }
        return result;
    }
}
