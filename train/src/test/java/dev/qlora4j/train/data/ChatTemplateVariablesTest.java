package dev.qlora4j.train.data;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.qlora4j.train.data.DataFiles.LLAMA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A conversation row's {@code tools} (TRL's column) and {@code chat_template_kwargs} reach the chat
 * template, as TRL's {@code apply_chat_template(messages, tools=example.get("tools"), **kwargs)}, in
 * training and evaluation rows alike.
 */
class ChatTemplateVariablesTest {
    private static final Tokenizer TOKENIZER = Tokenizer.load(LLAMA);
    private static final SpecialTokens SPECIALS = SpecialTokens.load(LLAMA, TOKENIZER);
    private static final ModelConfig CONFIG = ModelConfig.load(LLAMA);
    /** Shows the tools' names and enable_thinking, then the turns. */
    private static final ChatTemplate TEMPLATE = ChatTemplate.of(
            "{% if tools %}[tools{% for t in tools %} {{ t.name }}{% endfor %}]\n{% endif %}"
                    + "{% if enable_thinking is defined %}[thinking {{ enable_thinking }}]\n{% endif %}"
                    + "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                    + "{% if add_generation_prompt %}assistant: {% endif %}", "test", Map.of());

    @TempDir
    Path tmp;

    private static final String CHAT = "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]";

    private Path rows(String name, String... lines) throws IOException {
        return Files.writeString(tmp.resolve(name), String.join("\n", lines) + "\n");
    }

    private static TrainingData load(DataSpec.Builder spec) {
        return TrainingData.load(spec.build(), TOKENIZER, SPECIALS, TEMPLATE, CONFIG);
    }

    private static int[] ids(String rendered) {
        return TOKENIZER.encode(rendered, false).ids();
    }

    private static Map<String, Object> kwargs(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    @Test
    void aRowsToolsGoToTheTemplate() throws IOException {
        Path train = rows("t.jsonl", "{" + CHAT + ", \"tools\": [{\"name\": \"get_weather\"}, {\"name\": \"get_time\"}]}",
                "{" + CHAT + ", \"tools\": null}", "{" + CHAT + "}");
        TrainingData d = load(DataSpec.builder(train));
        assertThat(d.train().get(0).inputIds()).containsExactly(ids("[tools get_weather get_time]\nuser: Hi\nassistant: Hello\n"));
        assertThat(d.train().get(1).inputIds()).as("null: no tools, as a dataset column's missing value").containsExactly(
                ids("user: Hi\nassistant: Hello\n"));
        assertThat(d.train().get(2).inputIds()).containsExactly(ids("user: Hi\nassistant: Hello\n"));
    }

    @Test
    void chatTemplateKwargsReachEveryConversationOfTrainingAndEvaluation() throws IOException {
        Path train = rows("t.jsonl", "{" + CHAT + "}", "{" + CHAT + ", \"tools\": [{\"name\": \"own\"}]}",
                "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"completion\": [{\"role\": \"assistant\", \"content\": \"Yo\"}], "
                        + "\"tools\": [{\"name\": \"pc\"}]}",
                "{\"text\": \"plain text is not templated\"}");
        Path eval = rows("e.jsonl", "{" + CHAT + "}");
        TrainingData d = load(DataSpec.builder(train).evalFile(eval)
                .chatTemplateKwargs(kwargs("enable_thinking", false, "tools", List.of(Map.of("name", "shared")))));
        assertThat(d.train().get(0).inputIds()).containsExactly(ids("[tools shared]\n[thinking False]\nuser: Hi\nassistant: Hello\n"));
        assertThat(d.train().get(1).inputIds()).as("the row's tools win").containsExactly(
                ids("[tools own]\n[thinking False]\nuser: Hi\nassistant: Hello\n"));
        Example pc = d.train().get(2);
        assertThat(pc.inputIds()).containsExactly(ids("[tools pc]\n[thinking False]\nuser: Hi\nassistant: Yo\n"));
        int prompt = ids("[tools pc]\n[thinking False]\nuser: Hi\nassistant: ").length;
        assertThat(pc.labels()[prompt - 1]).isEqualTo(Example.IGNORE);
        assertThat(pc.labels()[prompt]).isEqualTo(pc.inputIds()[prompt]);
        assertThat(d.train().get(3).inputIds()).containsExactly(TOKENIZER.encode("plain text is not templated<|eot_id|>", true).ids());
        assertThat(d.eval().getFirst().inputIds()).containsExactly(ids("[tools shared]\n[thinking False]\nuser: Hi\nassistant: Hello\n"));
    }

    @Test
    void responseMaskingRendersEveryPrefixWithTheSameVariables() throws IOException {
        Path train = rows("t.jsonl", "{" + CHAT + ", \"tools\": [{\"name\": \"get_weather\"}]}");
        TrainingData d = load(DataSpec.builder(train).trainOnResponsesOnly(true).chatTemplateKwargs(kwargs("enable_thinking", true)));
        Example e = d.train().getFirst();
        String prompt = "[tools get_weather]\n[thinking True]\nuser: Hi\nassistant: ";
        assertThat(e.inputIds()).containsExactly(ids(prompt + "Hello\n"));
        int start = ids(prompt).length;
        for (int t = 0; t < e.length(); t++)
            assertThat(e.labels()[t]).as("token %d", t).isEqualTo(t < start ? Example.IGNORE : e.inputIds()[t]);
    }

    @Test
    void aToolsThatIsNotAListOfToolDefinitionsIsAOneLineErrorNamingTheRow() throws IOException {
        Path text = rows("a.jsonl", "{" + CHAT + "}", "{" + CHAT + ", \"tools\": \"get_weather\"}");
        assertThatThrownBy(() -> load(DataSpec.builder(text)))
                .isInstanceOf(BadInputException.class)
                .hasMessage("line 2 has a \"tools\" that is not a list of tool definitions (JSON objects): got a string (" + text + ")");
        Path items = rows("b.jsonl", "{" + CHAT + ", \"tools\": [{\"name\": \"a\"}, 3]}");
        assertThatThrownBy(() -> load(DataSpec.builder(items)))
                .hasMessage("line 1 has a \"tools\" that is not a list of tool definitions (JSON objects): item 1 is a number (" + items + ")");
    }
}
