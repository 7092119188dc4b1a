package dev.qlora4j.train.cli;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.generate.Sampler;
import dev.qlora4j.model.generate.TextStreamer;
import dev.qlora4j.tensor.BadInputException;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code chat --model DIR}: a conversation on standard input. Each line is a user message; the
 * whole history is rendered with the chat template and the generation prompt, and the reply is
 * streamed. The generator keeps its KV cache between turns, so a turn only feeds the tokens the
 * previous one did not. {@code /reset} forgets the history, {@code /exit} or end of input quits.
 * {@code --tools} / {@code --template-var} ({@link TemplateOptions}) give every rendering its tools and other variables.
 */
@CommandLine.Command(name = "chat", description = "talk to a chat model on standard input (/reset clears the history, /exit quits)")
final class ChatCommand implements Main.Command {
    @CommandLine.Mixin
    ModelOptions model;

    @CommandLine.Mixin
    TemplateOptions template;

    @CommandLine.Mixin
    GenerationOptions generation;

    @Override
    public Object run(PrintStream out) throws Exception {
        return run(out, System.in);
    }

    @Override
    public Object run(PrintStream out, InputStream in) throws Exception {
        Path dir = model.modelDir(), adapter = model.adapterDir();
        Map<String, Object> variables = template.variables();
        GenerationSettings settings = generation.settings();
        try (LanguageModel lm = LanguageModel.load(dir, adapter, model.device())) {
            ChatTemplate chatTemplate = ChatTemplate.load(dir);
            Sampler sampler = settings.sampler(lm.generation(), out);
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<Map<String, Object>> history = new ArrayList<>();
            int turns = 0;
            out.println("chat with " + dir + " (/reset clears the history, /exit quits)");
            while (true) {
                out.print("> ");
                out.flush();
                String line = reader.readLine();
                if (line == null) {
                    out.println();
                    break;
                }
                String message = line.strip();
                if (message.equals("/exit")) break;
                if (message.equals("/reset")) {
                    history.clear();
                    out.println("(history cleared)");
                    continue;
                }
                if (message.isEmpty()) continue;
                history.add(message("user", message));
                String reply = reply(lm, chatTemplate, history, variables, settings.maxNewTokens(), sampler, out);
                if (reply == null) history.removeLast();
                else {
                    history.add(message("assistant", reply));
                    turns++;
                }
            }
            return Map.of("turns", turns);
        }
    }

    /** Streams the model's answer to the history and returns its text, or null when the turn failed. */
    private static String reply(LanguageModel lm, ChatTemplate template, List<Map<String, Object>> history, Map<String, Object> variables,
                                int maxNewTokens, Sampler sampler, PrintStream out) {
        int[] prompt = lm.tokenizer().encode(template.renderMessages(history, true, variables), false).ids();
        TextStreamer streamer = new TextStreamer(lm.tokenizer(), true, piece -> {
            out.print(piece);
            out.flush();
        });
        try {
            lm.generator().generate(prompt, maxNewTokens, sampler, streamer);
        } catch (BadInputException e) {
            // a conversation that outgrew the context: say so and let the user go on or /reset
            out.println("error: " + e.getMessage() + "; /reset starts a new conversation");
            return null;
        }
        streamer.finish();
        out.println();
        return streamer.text();
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
