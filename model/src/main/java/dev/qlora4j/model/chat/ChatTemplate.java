package dev.qlora4j.model.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's Jinja chat template, rendered as transformers' {@code apply_chat_template(...,
 * tokenize=False)} renders it: same variables ({@code messages}, {@code add_generation_prompt},
 * {@code tools} and {@code documents} = None, the special tokens), same helpers
 * ({@code raise_exception}, {@code strftime_now}, transformers' {@code tojson}) and jinja2's
 * whitespace rules, so the text is byte for byte the one Python produces.
 *
 */
public final class ChatTemplate {
    private final String source;
    private final JinjaTemplate template;
    private final String origin;
    private final Map<String, Object> specialTokens;

    private ChatTemplate(String source, String origin, Map<String, Object> specialTokens) {
        this.source = source;
        this.origin = origin;
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        try {
            this.template = JinjaTemplate.parse(source, origin);
        } catch (JinjaException e) {
            throw BadInputException.at(origin, e.describe());
        }
    }

    /**
     * The template of a model or tokenizer folder: chat_template.jinja if present, else
     * tokenizer_config.json's chat_template; special tokens come from tokenizer_config.json.
     */
    public static ChatTemplate load(Path modelOrTokenizerDir) {
        if (!Files.isDirectory(modelOrTokenizerDir)) throw BadInputException.at(modelOrTokenizerDir.toString(), "not a folder");
        Path configFile = modelOrTokenizerDir.resolve("tokenizer_config.json");
        ObjectNode config = Files.isRegularFile(configFile) ? JsonFiles.readObject(configFile) : null;
        TemplateSource src = TemplateSource.find(modelOrTokenizerDir, config, configFile);
        return new ChatTemplate(src.text(), src.origin(), SpecialTokens.read(config, configFile.toString()));
    }

    /**
     * A template from its source text.
     *
     * @param origin        names the template in error messages (a file, or "file: key")
     * @param specialTokens variables such as bos_token / eos_token the template may use
     */
    public static ChatTemplate of(String source, String origin, Map<String, ?> specialTokens) {
        return new ChatTemplate(source, origin, new LinkedHashMap<>(specialTokens));
    }

    public String source() {
        return source;
    }

    /** The file (and key) the template came from. */
    public String origin() {
        return origin;
    }

    /** bos_token, eos_token, ... as the template sees them. */
    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (Message m : messages) maps.add(m.toMap());
        return renderMessages(maps, addGenerationPrompt, Map.of());
    }

    /** Renders messages given as JSON-like maps, which may carry keys beyond role and content. */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return renderMessages(messages, addGenerationPrompt, Map.of());
    }

    /**
     * @param extraVariables further template variables, like apply_chat_template's keyword arguments
     *                       (tools, documents, date_string, ...); they override the special tokens
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
                                 Map<String, ?> extraVariables) {
        return renderWithSpans(messages, addGenerationPrompt, extraVariables).text();
    }

    /**
     * As {@link #renderMessages(List, boolean, Map)}, with the [start, end) character ranges that the
     * template's {@code {% generation %}} blocks wrote (transformers' assistant masks).
     */
    public JinjaTemplate.Rendered renderWithSpans(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
                                                  Map<String, ?> extraVariables) {
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.putAll(extraVariables);
        try {
            return template.render(vars);
        } catch (JinjaBuiltins.Raised e) {
            throw BadInputException.at(origin, "chat template failed: " + e.getMessage());
        } catch (JinjaException e) {
            throw BadInputException.at(origin, "chat template failed: " + e.describe());
        }
    }

    /**
     * transformers' {@code continue_final_message=True}: the conversation rendered without the generation prompt
     * and cut right after the final message's content, so that the model continues that message (a prefill).
     * As transformers: the content is looked for stripped, its last occurrence; its leading whitespace kept when
     * the template kept it; a list content continues its last part with "text".
     *
     * @throws BadInputException when the final message has no text, or the template does not render it
     */
    public String renderContinuing(List<? extends Map<String, ?>> messages, Map<String, ?> extraVariables) {
        if (messages.isEmpty()) throw BadInputException.at(origin, "continue_final_message needs a final message");
        String text = renderMessages(messages, false, extraVariables);
        Object content = messages.getLast().get("content");
        String last = null;
        if (content instanceof String str) {
            last = str;
        } else if (content instanceof List<?> parts) {
            for (Object part : parts) if (part instanceof Map<?, ?> m && m.containsKey("text")) last = String.valueOf(m.get("text"));
        }
        if (last == null) throw BadInputException.at(origin, "continue_final_message: the final message has no text to continue");
        String core = stripTrailing(stripLeading(last));
        int at = text.lastIndexOf(core);
        if (at < 0)
            throw BadInputException.at(origin, "continue_final_message: the final message does not appear in the chat template's rendering "
                    + "(the template changes it)");
        String keptLeft = stripLeading(last);
        return text.startsWith(last, at) ? text.substring(0, at + keptLeft.length()) : text.substring(0, at + core.length());
    }

    /** Python's str.lstrip() (its whitespace: Java's, and the Unicode space separators such as NBSP), as transformers strips. */
    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && pySpace(s.charAt(i))) i++;
        return s.substring(i);
    }

    private static String stripTrailing(String s) {
        int j = s.length();
        while (j > 0 && pySpace(s.charAt(j - 1))) j--;
        return s.substring(0, j);
    }

    private static boolean pySpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** Messages from JSON text: an array of objects, each with at least "role". */
    public static List<Map<String, Object>> parseMessages(String json, String where) {
        JsonNode root = JsonFiles.parse(json, where);
        if (!root.isArray()) throw BadInputException.at(where, "messages must be a JSON array of objects");
        for (JsonNode m : root)
            if (!m.isObject() || !m.has("role")) throw BadInputException.at(where, "each message must be an object with a \"role\"");
        return JsonFiles.mapper().convertValue(root, new TypeReference<>() {});
    }
}
