package dev.qlora4j.train.cli;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.generate.GenerationResult;
import dev.qlora4j.model.generate.TextStreamer;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code generate --model DIR (--prompt T | --prompt-ids 1,2,3)}: continues a prompt with a
 * causal LM, streaming the new text as it comes; the result holds every id (prompt and new)
 * and the new text. {@code --prompt} is encoded with special tokens, as HF's tokenizer call
 * does; with {@code --chat} it becomes one user message rendered by the chat template with the
 * generation prompt, encoded without added specials (the template writes them), and {@code --tools} /
 * {@code --template-var} ({@link TemplateOptions}) give the template its tools and other variables.
 */
@CommandLine.Command(name = "generate", description = "continue a prompt with a causal LM (greedy or sampled), streaming the new text")
final class GenerateCommand implements Main.Command {
    @CommandLine.Mixin
    ModelOptions model;

    @CommandLine.Option(names = "--prompt", paramLabel = "T", description = "the prompt text (encoded with special tokens)")
    String text;

    @CommandLine.Option(names = "--prompt-ids", paramLabel = "1,2,3", description = "the prompt as comma-separated token ids")
    String idList;

    @CommandLine.Option(names = "--chat", arity = "0",
            description = "the prompt as one user message through the chat template, with the generation prompt")
    boolean chat;

    @CommandLine.Mixin
    TemplateOptions template;

    @CommandLine.Mixin
    GenerationOptions generation;

    @Override
    public Object run(PrintStream out) throws Exception {
        Path dir = model.modelDir(), adapter = model.adapterDir();
        if ((text == null) == (idList == null)) throw new UserError("generate needs exactly one of --prompt, --prompt-ids");
        if (chat && text == null) throw new UserError("--chat needs --prompt (a user message), not --prompt-ids");
        if (!chat && template.given()) throw new UserError("--tools and --template-var go with --chat (a chat template prompt)");
        Map<String, Object> variables = template.variables();
        GenerationSettings settings = generation.settings();
        int[] given = idList == null ? null : parseIds(idList);
        try (LanguageModel lm = LanguageModel.load(dir, adapter, model.device())) {
            int[] prompt = given != null ? given : encode(lm, dir, text, chat, variables);
            TextStreamer streamer = new TextStreamer(lm.tokenizer(), true, piece -> {
                out.print(piece);
                out.flush();
            });
            GenerationResult r = lm.generator().generate(prompt, settings.maxNewTokens(), settings.sampler(lm.generation(), out), streamer);
            streamer.finish();
            out.println();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("ids", r.ids());
            result.put("text", streamer.text());
            return result;
        }
    }

    private static int[] encode(LanguageModel lm, Path dir, String text, boolean chat, Map<String, Object> variables) {
        if (!chat) return lm.tokenizer().encode(text, true).ids();
        String rendered = ChatTemplate.load(dir).renderMessages(List.of(Map.of("role", "user", "content", text)), true, variables);
        return lm.tokenizer().encode(rendered, false).ids();
    }

    static int[] parseIds(String list) {
        String[] parts = list.split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new UserError("--prompt-ids wants comma-separated token ids, got '" + parts[i].strip() + "' (--prompt-ids)");
            }
            if (ids[i] < 0) throw new UserError("token ids are not negative, got " + ids[i] + " (--prompt-ids)");
        }
        return ids;
    }
}
