package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.tokenizer.Encoding;
import dev.qlora4j.model.tokenizer.Tokenizer;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tokenize --model DIR (--text T | --input FILE.jsonl | --chat FILE.json)}: what the model's
 * tokenizer makes of a text, as HF's {@code encode} (special tokens added unless
 * {@code --no-special-tokens}) and {@code decode} do; with {@code --chat}, the rendered chat
 * template and its ids, as {@code apply_chat_template(tokenize=True)}, with the file's tools and other
 * variables and those of {@code --tools} / {@code --template-var} ({@link TemplateOptions}).
 */
@CommandLine.Command(name = "tokenize", description = "encode text (or render a chat) with a model's tokenizer: ids, tokens, decoded text")
final class TokenizeCommand implements Main.Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Option(names = "--model", required = true, paramLabel = "DIR",
            description = "a model folder, or any folder with tokenizer.json [+ tokenizer_config.json]")
    Path model;

    @CommandLine.Option(names = "--text", paramLabel = "T", description = "the text to encode")
    String text;

    @CommandLine.Option(names = "--input", paramLabel = "FILE", description = "a JSONL file of {\"text\": ...} lines, each encoded")
    Path input;

    @CommandLine.Option(names = "--chat", paramLabel = "FILE",
            description = "a JSON {\"messages\": [...], \"tools\": [...], ...} (or a list of them) rendered with the chat template; "
                    + "keys besides messages are template variables")
    Path chat;

    @CommandLine.Option(names = "--no-special-tokens", arity = "0", description = "do not add the special tokens encode adds by default")
    boolean noSpecialTokens;

    @CommandLine.Option(names = "--add-generation-prompt", arity = "0", description = "with --chat: end with the assistant's generation prompt")
    boolean addGenerationPrompt;

    @CommandLine.Option(names = "--continue-final-message", arity = "0",
            description = "with --chat: end right after the final message's content, for the model to continue it "
                    + "(apply_chat_template's continue_final_message)")
    boolean continueFinalMessage;

    @CommandLine.Mixin
    TemplateOptions template;

    @Override
    public Object run(PrintStream out) throws Exception {
        int sources = (text != null ? 1 : 0) + (input != null ? 1 : 0) + (chat != null ? 1 : 0);
        if (sources != 1) throw new UserError("tokenize needs exactly one of --text, --input, --chat");
        if (chat == null && template.given()) throw new UserError("--tools and --template-var go with --chat (a chat template rendering)");
        if (chat == null && (addGenerationPrompt || continueFinalMessage))
            throw new UserError((addGenerationPrompt ? "--add-generation-prompt" : "--continue-final-message") + " goes with --chat");
        if (addGenerationPrompt && continueFinalMessage)
            throw new UserError("give --add-generation-prompt or --continue-final-message, not both (a new turn, or the final one continued)");
        Map<String, Object> variables = template.variables();
        Tokenizer tokenizer = Tokenizer.load(model);
        boolean specials = !noSpecialTokens;
        if (chat != null) return ChatRendering.run(model, tokenizer, chat, addGenerationPrompt, continueFinalMessage, variables, out);
        if (text != null) {
            Map<String, Object> result = encode(tokenizer, text, specials);
            print(result, out);
            return result;
        }
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String text : texts(input)) {
            Map<String, Object> result = encode(tokenizer, text, specials);
            print(result, out);
            lines.add(result);
        }
        return new Main.JsonLines(lines);
    }

    private static Map<String, Object> encode(Tokenizer tokenizer, String text, boolean specials) {
        Encoding e = tokenizer.encode(text, specials);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("ids", e.ids());
        result.put("tokens", e.tokens());
        result.put("decoded", tokenizer.decode(e.ids(), false));
        return result;
    }

    private static void print(Map<String, Object> result, PrintStream out) {
        result.forEach((k, v) -> out.println(k + ": " + (v instanceof int[] ids ? java.util.Arrays.toString(ids) : v)));
    }

    /** The "text" of every line of a JSONL file; a line that is not such an object is an error naming it. */
    private static List<String> texts(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new UserError("no such file (" + file + ")");
        List<String> texts = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            for (int n = 1; (line = r.readLine()) != null; n++) {
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (IOException e) {
                    throw new UserError("line " + n + " is not JSON (" + file + ")");
                }
                if (node == null || !node.isObject() || !node.path("text").isTextual())
                    throw new UserError("line " + n + " has no string \"text\" (" + file + ")");
                texts.add(node.get("text").asText());
            }
        }
        return texts;
    }
}
