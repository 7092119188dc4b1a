package dev.qlora4j.train.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.GenerationConfig;
import dev.qlora4j.model.generate.GenerationResult;
import dev.qlora4j.model.generate.Sampler;
import dev.qlora4j.model.generate.StopTokens;
import dev.qlora4j.model.generate.TextStreamer;
import dev.qlora4j.model.generate.TokenGenerator;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Greedy answers to held-out questions, from the base model alone or with an adapter on it. */
final class DemoSamples {
    static final int MAX_NEW_TOKENS = 120;

    private DemoSamples() {}

    /** The first user message of the first English and the first Japanese dialogue of the evaluation file. */
    static List<String> questions(Path evalFile) throws IOException {
        ObjectMapper json = new ObjectMapper();
        String english = null, japanese = null;
        for (String line : Files.readAllLines(evalFile)) {
            if (line.isBlank()) continue;
            JsonNode first = json.readTree(line).path("messages").path(0);
            String q = first.path("content").asText();
            boolean isJapanese = q.codePoints().anyMatch(c -> Character.UnicodeScript.of(c) == Character.UnicodeScript.HIRAGANA);
            if (isJapanese && japanese == null) japanese = q;
            if (!isJapanese && english == null) english = q;
        }
        List<String> out = new ArrayList<>();
        if (english != null) out.add(english);
        if (japanese != null) out.add(japanese);
        return out;
    }

    /** Greedy answers of {@code model} (loaded from {@code modelDir}, an adapter on it or not). */
    static List<String> answer(Transformer model, Path modelDir, List<String> questions) {
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        ChatTemplate template = ChatTemplate.load(modelDir);
        GenerationConfig generation = GenerationConfig.load(modelDir, model.config());
        TokenGenerator generator = new TokenGenerator(model, StopTokens.of(generation, SpecialTokens.load(modelDir, tokenizer)));
        List<String> answers = new ArrayList<>();
        for (String q : questions) {
            String prompt = template.renderMessages(List.of(Map.of("role", "user", "content", q)), true);
            TextStreamer text = new TextStreamer(tokenizer, true, piece -> { });
            GenerationResult r = generator.generate(tokenizer.encode(prompt, false).ids(), MAX_NEW_TOKENS, Sampler.greedy(), text);
            text.finish();
            answers.add(text.text().strip() + (r.stoppedAtEos() ? "" : " …"));
            generator.reset();
        }
        return answers;
    }
}
