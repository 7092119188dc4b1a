package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static dev.qlora4j.train.data.DataFiles.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * train_on_responses_only on Llama-3, Gemma and ChatML templates: the learned tokens, decoded run
 * by run, are exactly each assistant message followed by the markup that closes its turn (what
 * TRL's generation-tagged training templates mark), and every other token is −100.
 */
class ResponseMaskingTest {
    @TempDir
    Path tmp;

    /** The fixture chat cases plus multi-turn conversations with and without a system prompt. */
    private List<List<Map<String, String>>> conversations() throws IOException {
        List<List<Map<String, String>>> all = new ArrayList<>();
        JsonNode vectors = DataFiles.JSON.readTree(DataFiles.FIXTURES.resolve("tokenizers/bytelevel-bpe/vectors.json").toFile());
        for (JsonNode c : vectors.get("chat")) {
            List<Map<String, String>> m = new ArrayList<>();
            for (JsonNode x : c.get("messages")) m.add(msg(x.get("role").asText(), x.get("content").asText()));
            all.add(m);
        }
        all.add(List.of(msg("user", "What is justice?"), msg("assistant", "  Fairness, perhaps. "), msg("user", "And courage?"),
                msg("assistant", "Staying when afraid.\n")));
        all.add(List.of(msg("system", "Answer with a question."), msg("user", "Is it ever right to lie?"),
                msg("assistant", "Is it ever right to deceive a friend?"), msg("user", "幸せとは？"), msg("assistant", "友達とは？")));
        return all;
    }

    @Test
    void llama3MasksAllButAssistantContentAndEotId() throws IOException {
        checkMasks(DataFiles.LLAMA, c -> c.strip() + "<|eot_id|>");
    }

    @Test
    void gemmaMasksAllButModelContentAndEndOfTurn() throws IOException {
        checkMasks(DataFiles.GEMMA, c -> c.strip() + "<end_of_turn>\n");
    }

    @Test
    void chatmlMasksAllButAssistantContentAndImEnd() throws IOException {
        checkMasks(DataFiles.chatmlModel(tmp.resolve("chatml")), c -> c + "<|im_end|>\n");
    }

    private void checkMasks(Path model, UnaryOperator<String> learnedTurn) throws IOException {
        List<List<Map<String, String>>> conversations = conversations();
        Path data = DataFiles.jsonl(tmp.resolve("chat.jsonl"), conversations.stream().map(c -> Map.of("messages", c)).toList());
        TrainingData masked = TrainingData.load(DataSpec.builder(data).trainOnResponsesOnly(true).build(), model);
        TrainingData plain = TrainingData.load(DataSpec.builder(data).build(), model);
        Tokenizer tokenizer = Tokenizer.load(model);
        ChatTemplate template = ChatTemplate.load(model);
        assertThat(masked.train()).hasSize(conversations.size());
        for (int i = 0; i < conversations.size(); i++) {
            List<Map<String, String>> c = conversations.get(i);
            Example e = masked.train().get(i);
            String rendered = template.renderMessages(c, false);
            assertThat(e.inputIds()).containsExactly(tokenizer.encode(rendered, false).ids());
            assertThat(plain.train().get(i).labels()).as("default: every token").containsExactly(e.inputIds());

            List<String> learned = new ArrayList<>(), all = new ArrayList<>();
            int start = 0;
            for (int t = 1; t <= e.length(); t++) {
                if (t < e.length() && isLearned(e, t) == isLearned(e, start)) continue;
                String run = tokenizer.decode(Arrays.copyOfRange(e.inputIds(), start, t), false);
                all.add(run);
                if (isLearned(e, start)) learned.add(run);
                start = t;
            }
            List<String> expected = c.stream().filter(m -> m.get("role").equals("assistant")).map(m -> learnedTurn.apply(m.get("content"))).toList();
            assertThat(learned).as("conversation %d", i).isEqualTo(expected);
            assertThat(String.join("", all)).isEqualTo(rendered);
            for (int t = 0; t < e.length(); t++)
                if (isLearned(e, t)) assertThat(e.labels()[t]).isEqualTo(e.inputIds()[t]);
        }
    }

    private static boolean isLearned(Example e, int t) {
        return e.labels()[t] != Example.IGNORE;
    }

    // ---- tools: tool calls are learned, tool results are prompt ----

    /** The weather tool of the conversations below, as a JSON schema (transformers' tool format). */
    private static final String WEATHER_TOOL = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
            + "\"description\": \"The weather of a city\", \"parameters\": {\"type\": \"object\", \"properties\": "
            + "{\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}";

    /** A user question, an assistant tool call (with {@code content}), the tool's result, the assistant's answer; the row's tools. */
    private static String toolConversation(String callContent) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}, "
                + "{\"role\": \"assistant\", \"content\": \"" + callContent + "\", \"tool_calls\": [{\"type\": \"function\", "
                + "\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}]}, "
                + "{\"role\": \"tool\", \"content\": \"{\\\"temp_c\\\": 21}\"}, "
                + "{\"role\": \"assistant\", \"content\": \"It is 21 °C.\"}], \"tools\": [" + WEATHER_TOOL + "]}\n";
    }

    /** The example's tokens decoded run by run, each run "learned: ..." or "masked: ...". */
    private static List<String> runs(Example e, Tokenizer tokenizer) {
        List<String> runs = new ArrayList<>();
        int start = 0;
        for (int t = 1; t <= e.length(); t++) {
            if (t < e.length() && isLearned(e, t) == isLearned(e, start)) continue;
            runs.add((isLearned(e, start) ? "learned: " : "masked: ") + tokenizer.decode(Arrays.copyOfRange(e.inputIds(), start, t), false));
            start = t;
        }
        return runs;
    }

    @Test
    void qwen25LearnsTheToolCallAndTheAnswerAndMasksTheToolsAndTheToolResult() throws IOException {
        Path model = DataFiles.qwen25Model(tmp.resolve("qwen25"));
        Path data = java.nio.file.Files.writeString(tmp.resolve("tools.jsonl"), toolConversation(""));
        TrainingData d = TrainingData.load(DataSpec.builder(data).trainOnResponsesOnly(true).build(), model);
        assertThat(runs(d.train().getFirst(), Tokenizer.load(model))).containsExactly(
                "masked: <|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
                        + "You may call one or more functions to assist with the user query.\n\n"
                        + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" + WEATHER_TOOL
                        + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                        + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
                        + "<args-json-object>}\n</tool_call><|im_end|>\n"
                        + "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n",
                "learned: <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n",
                "masked: <|im_start|>user\n<tool_response>\n{\"temp_c\": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
                "learned: It is 21 °C.<|im_end|>\n");
        // without masking the same row is every token of that rendering
        TrainingData plain = TrainingData.load(DataSpec.builder(data).build(), model);
        assertThat(plain.train().getFirst().inputIds()).containsExactly(d.train().getFirst().inputIds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2", "qwen2"})
    void fixtureTemplatesLearnTheToolCallingTurnAndMaskTheToolResult(String fixture) throws IOException {
        Path model = DataFiles.FIXTURES.resolve(fixture).resolve("model");
        Path data = java.nio.file.Files.writeString(tmp.resolve("tools.jsonl"), toolConversation("Let me look."));
        TrainingData d = TrainingData.load(DataSpec.builder(data).trainOnResponsesOnly(true).build(), model);
        String end = fixture.equals("gemma2") ? "<end_of_turn>\n" : "<|eot_id|>";   // these templates do not render tool_calls
        List<String> runs = runs(d.train().getFirst(), Tokenizer.load(model));
        assertThat(runs.stream().filter(r -> r.startsWith("learned: ")))
                .containsExactly("learned: Let me look." + end, "learned: It is 21 °C." + end);
        assertThat(runs).hasSize(4);
        assertThat(runs.get(2)).startsWith("masked: ").contains("tool").contains("{\"temp_c\": 21}");
    }

    @Test
    void conversationWithoutAnAssistantTurnIsDroppedAndReported() throws IOException {
        Path data = DataFiles.jsonl(tmp.resolve("d.jsonl"), List.of(
                Map.of("messages", List.of(msg("user", "Hi"), msg("assistant", "Hello"))),
                Map.of("messages", List.of(msg("user", "Anyone there?")))));
        TrainingData d = TrainingData.load(DataSpec.builder(data).trainOnResponsesOnly(true).build(), DataFiles.LLAMA);
        assertThat(d.train()).hasSize(1);
        assertThat(d.report().train().dropped()).isEqualTo(new RowIssues(1, List.of("line 2 (has no learned token)")));

        Path none = DataFiles.jsonl(tmp.resolve("n.jsonl"), List.of(Map.of("messages", List.of(msg("user", "Anyone there?")))));
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(none).trainOnResponsesOnly(true).build(), DataFiles.LLAMA))
                .isInstanceOf(BadInputException.class)
                .hasMessage("no training example is left: every row was dropped with nothing to learn 1 (line 1 (has no learned token)) ("
                        + none + ")");
    }

    @Test
    void templateThatRewritesEarlierTurnsIsMaskedFromItsOwnRendering() throws IOException {
        // renders the final message differently from the same message followed by more turns
        ChatTemplate lastDiffers = ChatTemplate.of("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}"
                + "{% if loop.last %}<|eot_id|>{% else %}{{ '\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}",
                "test", Map.of());
        Path data = DataFiles.jsonl(tmp.resolve("t.jsonl"), List.of(Map.of("messages",
                List.of(msg("user", "Hi"), msg("assistant", "Hello"), msg("user", "Bye")))));
        Tokenizer tokenizer = Tokenizer.load(DataFiles.LLAMA);
        ModelConfig config = ModelConfig.load(DataFiles.LLAMA);
        SpecialTokens specials = SpecialTokens.load(DataFiles.LLAMA, tokenizer);
        Example e = TrainingData.load(DataSpec.builder(data).trainOnResponsesOnly(true).build(), tokenizer, specials, lastDiffers, config)
                .train().getFirst();
        // the loop iteration over the assistant message, past the generation prompt's "assistant: "
        assertThat(learned(e, tokenizer)).isEqualTo("Hello\n");
        assertThat(tokenizer.decode(e.inputIds(), false)).isEqualTo("user: Hi\nassistant: Hello\nuser: Bye<|eot_id|>");
    }

    /** The learned tokens, decoded together. */
    private static String learned(Example e, Tokenizer tokenizer) {
        return tokenizer.decode(java.util.stream.IntStream.range(0, e.inputIds().length).filter(t -> isLearned(e, t))
                .map(t -> e.inputIds()[t]).toArray(), false);
    }

    @Test
    void templateThatRendersMessagesOutsideALoopAndRewritesThemIsRefusedForMasking() throws IOException {
        ChatTemplate byIndex = ChatTemplate.of("{{ messages[0]['content'] }}{% if messages|length > 1 %}: {{ messages[1]['content'] }}{% endif %}"
                + "{% if messages|length == 2 %}<|eot_id|>{% elif messages|length > 2 %}; {{ messages[2]['content'] }}{% endif %}", "test",
                Map.of());
        Path data = DataFiles.jsonl(tmp.resolve("t.jsonl"), List.of(Map.of("messages",
                List.of(msg("user", "Hi"), msg("assistant", "Hello"), msg("user", "Bye")))));
        Tokenizer tokenizer = Tokenizer.load(DataFiles.LLAMA);
        ModelConfig config = ModelConfig.load(DataFiles.LLAMA);
        SpecialTokens specials = SpecialTokens.load(DataFiles.LLAMA, tokenizer);
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(data).trainOnResponsesOnly(true).build(), tokenizer, specials,
                byIndex, config))
                .isInstanceOf(BadInputException.class)
                .hasMessage("line 1 cannot be masked for train_on_responses_only: the chat template renders message 2 differently "
                        + "once later messages follow, and not in one iteration of a loop over messages, so the assistant's tokens "
                        + "cannot be located (a template with {% generation %} blocks says where they are) (" + data + ")");
        // without masking the same template is fine
        assertThat(TrainingData.load(DataSpec.builder(data).build(), tokenizer, specials, byIndex, config).train()).hasSize(1);
    }
}
