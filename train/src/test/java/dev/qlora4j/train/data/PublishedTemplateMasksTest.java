package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * train_on_responses_only on every published template of model/src/test/resources/chat_templates/hub: what is
 * learned is the assistant's text (and its tool call, where the template renders tool calls), never a user turn
 * or a tool result. A conversation the template refuses (its raise_exception) or a template that rewrites
 * earlier turns once later ones follow (so that spans cannot be located) is a skip with the reason.
 */
class PublishedTemplateMasksTest {
    private static final Path HUB = Path.of("..", "model", "src", "test", "resources", "chat_templates", "hub");
    /** Some of those templates with {% generation %} blocks added (JinjaOracleTest checks their spans against jinja2's). */
    private static final Path TAGGED = HUB.resolveSibling("training");
    private static final Tokenizer TOKENIZER = Tokenizer.load(Path.of("..", "fixtures", "hf", "llama", "model"));

    private static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static List<Map<String, Object>> plain() {
        return List.of(msg("user", "What is virtue?"), msg("assistant", "Knowledge, perhaps."), msg("user", "Why?"),
                msg("assistant", "Because no one errs willingly."));
    }

    private static List<Map<String, Object>> tools() {
        Map<String, Object> call = msg("assistant", "");
        call.put("tool_calls", List.of(Map.of("id", "call12345", "type", "function", "function", Map.of("name", "get_weather", "arguments", Map.of("city", "Paris")))));
        return List.of(msg("user", "Weather there?"), call, toolResult(), msg("assistant", "It is 21 degrees."));
    }

    private static Map<String, Object> toolResult() {
        Map<String, Object> m = msg("tool", "{\"temp_c\": 21}");
        m.put("tool_call_id", "call12345");   // Mistral's templates require 9 alphanumeric characters
        return m;
    }

    private static List<Map<String, Object>> longer() {
        Map<String, Object> thought = msg("assistant", "Socrates held so.");
        thought.put("reasoning_content", "Recall the Meno.");
        Map<String, Object> last = msg("assistant", "<think>\nShort.\n</think>\n\n  Yes, in a sense.\n");
        return List.of(msg("system", "Be brief."), msg("user", "Can virtue be taught?"), thought, msg("user", "  Really?  "),
                msg("assistant", "Perhaps not."), msg("user", "Sure?"), last);
    }

    private static final List<Object> TOOLS = List.of(Map.of("type", "function", "function", Map.of("name", "get_weather",
            "description", "Weather in a city", "parameters", Map.of("type", "object", "properties",
                    Map.of("city", Map.of("type", "string")), "required", List.of("city")))));

    @TestFactory
    Stream<DynamicTest> assistantTurnsAreLearnedAndNothingElse() throws IOException {
        JsonNode tokens = new ObjectMapper().readTree(HUB.resolve("special_tokens.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> files = Files.list(HUB)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".jinja")).sorted().toList()) {
                Map<String, Object> specials = new ObjectMapper().convertValue(tokens.get(file.getFileName().toString()), Map.class);
                ChatTemplate template = ChatTemplate.of(Files.readString(file, StandardCharsets.UTF_8), file.getFileName().toString(), specials);
                tests.add(DynamicTest.dynamicTest(file.getFileName() + ", plain", () -> check(template, plain(), Map.of())));
                tests.add(DynamicTest.dynamicTest(file.getFileName() + ", tool call and result", () -> check(template, tools(), Map.of("tools", TOOLS))));
            }
        }
        assertThat(tests).hasSize(36);
        return tests.stream();
    }

    /**
     * The masks found in a published template's rendering equal the spans of the same template with generation
     * blocks around what the model writes, as transformers' return_assistant_tokens_mask reads them.
     */
    @TestFactory
    Stream<DynamicTest> masksEqualTheGenerationSpansOfTaggedTemplates() throws IOException {
        JsonNode tokens = new ObjectMapper().readTree(HUB.resolve("special_tokens.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> files = Files.list(TAGGED)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".jinja")).sorted().toList()) {
                String name = file.getFileName().toString();
                Map<String, Object> specials = new ObjectMapper().convertValue(tokens.get(name), Map.class);
                ChatTemplate stock = ChatTemplate.of(Files.readString(HUB.resolve(name), StandardCharsets.UTF_8), name, specials);
                ChatTemplate tagged = ChatTemplate.of(Files.readString(file, StandardCharsets.UTF_8), "training/" + name, specials);
                Map<String, List<Map<String, Object>>> convs = new LinkedHashMap<>();
                convs.put("plain", plain());
                convs.put("tool call and result", tools());
                convs.put("system, reasoning, whitespace", longer());
                convs.forEach((what, messages) -> tests.add(DynamicTest.dynamicTest(name + ", " + what, () -> {
                    Map<String, Object> vars = what.startsWith("tool") ? Map.of("tools", TOOLS) : Map.of();
                    String text;
                    try {
                        text = stock.renderMessages(messages, false, vars);
                    } catch (BadInputException e) {
                        throw new TestAbortedException("the template refuses this conversation: " + e.getMessage());
                    }
                    assertThat(tagged.renderMessages(messages, false, vars)).as("the tags change nothing rendered").isEqualTo(text);
                    AssistantSpans.Masked found = AssistantSpans.find(messages, vars, stock, TOKENIZER);
                    AssistantSpans.Masked spans = AssistantSpans.find(messages, vars, tagged, TOKENIZER);
                    assertThat(found.ids()).isEqualTo(spans.ids());
                    assertThat(runs(found)).isEqualTo(runs(spans));
                    assertThat(found.assistant()).contains(true);
                })));
            }
        }
        assertThat(tests).hasSize(12);
        return tests.stream();
    }

    /** The conversation's tokens decoded in runs, each marked learned or masked (readable when a test fails). */
    private static List<String> runs(AssistantSpans.Masked m) {
        List<String> runs = new ArrayList<>();
        int start = 0;
        for (int t = 1; t <= m.ids().length; t++) {
            if (t < m.ids().length && m.assistant()[t] == m.assistant()[start]) continue;
            runs.add((m.assistant()[start] ? "learned: " : "masked: ") + TOKENIZER.decode(Arrays.copyOfRange(m.ids(), start, t), false));
            start = t;
        }
        return runs;
    }

    private static void check(ChatTemplate template, List<Map<String, Object>> messages, Map<String, Object> vars) throws Exception {
        String full;
        try {
            full = template.renderMessages(messages, false, vars);
        } catch (BadInputException e) {
            throw new TestAbortedException("the template refuses this conversation: " + e.getMessage());
        }
        AssistantSpans.Masked m;
        try {
            m = AssistantSpans.find(messages, vars, template, TOKENIZER);
        } catch (AssistantSpans.Unlocatable e) {
            throw new TestAbortedException(e.getMessage());
        }
        StringBuilder learned = new StringBuilder(), masked = new StringBuilder();
        int start = 0;
        for (int t = 1; t <= m.ids().length; t++) {
            if (t < m.ids().length && m.assistant()[t] == m.assistant()[start]) continue;
            (m.assistant()[start] ? learned : masked).append(TOKENIZER.decode(Arrays.copyOfRange(m.ids(), start, t), false)).append('\u0000');
            start = t;
        }
        for (Map<String, Object> msg : messages) {
            String content = (String) msg.get("content");
            if (content.isEmpty()) continue;
            if (msg.get("role").equals("assistant")) assertThat(learned.toString()).as("learned").contains(content);
            else assertThat(learned.toString()).as("learned").doesNotContain(content);
        }
        assertThat(learned.toString()).doesNotContain("temp_c").doesNotContain("Weather there?");
        // where the template renders the call's arguments, the call is learned
        if (full.contains("Paris")) assertThat(learned.toString()).as("the tool call").contains("Paris");
        assertThat(masked.length()).isPositive();
    }
}
