package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.tokenizer.Encoding;
import dev.qlora4j.model.tokenizer.Tokenizer;

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
import java.util.Set;

/**
 * {@code tokenize --model DIR (--text T | --input FILE.jsonl | --chat FILE.json)}: what the model's
 * tokenizer makes of a text, as HF's {@code encode} (special tokens added unless
 * {@code --no-special-tokens}) and {@code decode} do; with {@code --chat}, the rendered chat
 * template and its ids, as {@code apply_chat_template(tokenize=True)}.
 */
final class TokenizeCommand implements Main.Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String summary() {
        return "encode text (or render a chat) with a model's tokenizer: ids, tokens, decoded text";
    }

    @Override
    public Set<String> flags() {
        return Set.of("no-special-tokens", "add-generation-prompt");
    }

    @Override
    public Set<String> options() {
        return Set.of("model", "text", "input", "chat");
    }

    @Override
    public Object run(Args args, PrintStream out) throws Exception {
        Path model = Path.of(required(args, "model"));
        int sources = (args.get("text", null) != null ? 1 : 0) + (args.get("input", null) != null ? 1 : 0)
                + (args.get("chat", null) != null ? 1 : 0);
        if (sources != 1) throw new UserError("tokenize needs exactly one of --text, --input, --chat");
        Tokenizer tokenizer = Tokenizer.load(model);
        boolean specials = !args.flag("no-special-tokens");
        if (args.get("chat", null) != null)
            return ChatRendering.run(model, tokenizer, Path.of(args.get("chat", null)), args.flag("add-generation-prompt"), out);
        if (args.get("text", null) != null) {
            Map<String, Object> result = encode(tokenizer, args.get("text", null), specials);
            print(result, out);
            return result;
        }
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String text : texts(Path.of(args.get("input", null)))) {
            Map<String, Object> result = encode(tokenizer, text, specials);
            print(result, out);
            lines.add(result);
        }
        return new Main.JsonLines(lines);
    }

    static String required(Args args, String name) {
        String v = args.get(name, null);
        if (v == null) throw new UserError("missing required option --" + name);
        return v;
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
