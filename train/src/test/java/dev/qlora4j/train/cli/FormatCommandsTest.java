package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code inspect} and {@code tokenize} through the command line, against the reference fixtures. */
class FormatCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");

    @Test
    void inspectASharedCheckpointListsEveryTensorOfTheIndex() throws IOException {
        Path model = FIXTURES.resolve("llama31-bf16-sharded/model");
        Cli.Run r = Cli.run("inspect", model.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode result = r.json(), weightMap = JSON.readTree(model.resolve("model.safetensors.index.json").toFile()).get("weight_map");
        assertThat(result.get("tensors")).hasSize(weightMap.size());
        long parameters = 0;
        for (JsonNode t : result.get("tensors")) {
            assertThat(weightMap.has(t.get("name").asText())).isTrue();
            assertThat(t.get("dtype").asText()).isEqualTo("BF16");
            long n = 1;
            for (JsonNode d : t.get("shape")) n *= d.asLong();
            parameters += n;
        }
        assertThat(result.get("parameters").asLong()).isEqualTo(parameters);
        JsonNode config = result.get("config");
        assertThat(config.get("model_type").asText()).isEqualTo("llama");
        assertThat(config.get("rope").asText()).contains("llama3");
    }

    @Test
    void inspectOneFileWithoutConfig() throws IOException {
        Cli.Run r = Cli.run("inspect", FIXTURES.resolve("llama/expected_forward.safetensors").toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        List<String> names = new ArrayList<>();
        r.json().get("tensors").forEach(t -> names.add(t.get("name").asText()));
        assertThat(names).containsExactlyInAnyOrder("logits", "last_hidden");
        assertThat(r.json().get("config").isEmpty()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytelevel-bpe", "sentencepiece-bpe"})
    void tokenizeTextMatchesTheReferenceTokenizer(String kind) throws IOException {
        Path dir = FIXTURES.resolve("tokenizers").resolve(kind);
        for (JsonNode c : JSON.readTree(dir.resolve("vectors.json").toFile()).get("cases")) {
            String text = c.get("text").asText();
            Cli.Run with = Cli.run("tokenize", "--model", dir.toString(), "--text", text, "--json");
            assertThat(with.status()).as(with.err()).isZero();
            assertThat(with.json().get("ids")).as(text).isEqualTo(c.get("ids_with_special"));
            Cli.Run without = Cli.run("tokenize", "--model", dir.toString(), "--text", text, "--no-special-tokens", "--json");
            assertThat(without.json().get("ids")).as(text).isEqualTo(c.get("ids"));
            assertThat(without.json().get("tokens")).as(text).isEqualTo(c.get("tokens"));
            assertThat(without.json().get("decoded").asText()).as(text).isEqualTo(c.get("decoded").asText());
        }
    }

    @Test
    void tokenizeInputGivesOneLinePerRowInOrder(@TempDir Path tmp) throws IOException {
        Path dir = FIXTURES.resolve("tokenizers/bytelevel-bpe");
        JsonNode cases = JSON.readTree(dir.resolve("vectors.json").toFile()).get("cases");
        StringBuilder jsonl = new StringBuilder();
        for (JsonNode c : cases) jsonl.append(JSON.writeValueAsString(JSON.createObjectNode().put("text", c.get("text").asText()))).append('\n');
        Path input = Files.writeString(tmp.resolve("in.jsonl"), jsonl);
        Cli.Run r = Cli.run("tokenize", "--model", dir.toString(), "--input", input.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        List<JsonNode> lines = r.jsonLines();
        assertThat(lines).hasSize(cases.size());
        Iterator<JsonNode> expected = cases.iterator();
        for (JsonNode line : lines) assertThat(line.get("ids")).isEqualTo(expected.next().get("ids_with_special"));

        Path bad = Files.writeString(tmp.resolve("bad.jsonl"), "{\"text\": \"ok\"}\n{\"txt\": 1}\n");
        Cli.Run err = Cli.run("tokenize", "--model", dir.toString(), "--input", bad.toString(), "--json");
        assertThat(err.status()).isEqualTo(2);
        assertThat(err.err().strip()).isEqualTo("error: line 2 has no string \"text\" (" + bad + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytelevel-bpe", "sentencepiece-bpe"})
    void tokenizeChatRendersAndTokenizesAsTransformers(String kind, @TempDir Path tmp) throws IOException {
        Path dir = FIXTURES.resolve("tokenizers").resolve(kind);
        JsonNode chats = JSON.readTree(dir.resolve("vectors.json").toFile()).get("chat");
        var list = JSON.createArrayNode();
        for (JsonNode c : chats) list.add(JSON.createObjectNode().set("messages", c.get("messages")));
        Path all = Files.writeString(tmp.resolve("chats.json"), list.toString());
        Cli.Run r = Cli.run("tokenize", "--model", dir.toString(), "--chat", all.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        List<JsonNode> lines = r.jsonLines();
        assertThat(lines).hasSize(chats.size());
        for (int i = 0; i < chats.size(); i++) {
            assertThat(lines.get(i).get("rendered").asText()).isEqualTo(chats.get(i).get("rendered").asText());
            assertThat(lines.get(i).get("ids")).isEqualTo(chats.get(i).get("ids"));
        }
        // one conversation, with the generation prompt on its first message
        JsonNode first = chats.get(0);
        var one = JSON.createObjectNode();
        one.putArray("messages").add(first.get("messages").get(0));
        Path single = Files.writeString(tmp.resolve("one.json"), one.toString());
        Cli.Run g = Cli.run("tokenize", "--model", dir.toString(), "--chat", single.toString(), "--add-generation-prompt", "--json");
        assertThat(g.status()).as(g.err()).isZero();
        assertThat(g.jsonLines()).hasSize(1);
        assertThat(g.json().get("rendered").asText()).isEqualTo(first.get("generation_prompt").asText());
    }

    /** --continue-final-message: the rendering stops right after the final message (the semantics: JinjaOracleTest). */
    @Test
    void tokenizeContinuesTheFinalMessage(@TempDir Path tmp) throws IOException {
        Path dir = FIXTURES.resolve("gemma2/model");
        Path chat = Files.writeString(tmp.resolve("c.json"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
                + "{\"role\": \"assistant\", \"content\": \"  Let me think \"}]}");
        Cli.Run r = Cli.run("tokenize", "--model", dir.toString(), "--chat", chat.toString(), "--continue-final-message", "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.json().get("rendered").asText()).isEqualTo("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nLet me think");
        Cli.Run both = Cli.run("tokenize", "--model", dir.toString(), "--chat", chat.toString(), "--continue-final-message",
                "--add-generation-prompt");
        assertThat(both.status()).isEqualTo(2);
        assertThat(both.err().strip()).isEqualTo("error: give --add-generation-prompt or --continue-final-message, not both "
                + "(a new turn, or the final one continued)");
    }

    /** The llama fixture's tokenizer with a template that shows its tools, enable_thinking and date_string. */
    private static Path toolsModel(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json"))
            Files.copy(FIXTURES.resolve("llama/model").resolve(f), dir.resolve(f));
        Files.writeString(dir.resolve("chat_template.jinja"), "{% if tools %}{% for t in tools %}<tool {{ t.function.name }}>{% endfor %}{{ '\\n' }}"
                + "{% endif %}{% if enable_thinking is defined %}thinking={{ enable_thinking }}\n{% endif %}"
                + "{% if date_string is defined %}date={{ date_string }}\n{% endif %}"
                + "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");
        return dir;
    }

    private static String tool(String name) {
        return "{\"type\": \"function\", \"function\": {\"name\": \"" + name + "\", \"parameters\": {\"type\": \"object\"}}}";
    }

    @Test
    void tokenizeChatGivesTheTemplateEachConversationsToolsAndVariables(@TempDir Path tmp) throws IOException {
        Path model = toolsModel(tmp.resolve("model"));
        Path chats = Files.writeString(tmp.resolve("chats.json"), "[{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
                + "\"tools\": [" + tool("get_weather") + "], \"enable_thinking\": false}, "
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"Yo\"}]}]");
        Cli.Run r = Cli.run("tokenize", "--model", model.toString(), "--chat", chats.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        var tokenizer = dev.qlora4j.model.tokenizer.Tokenizer.load(model);
        List<String> expected = List.of("<tool get_weather>\nthinking=False\nuser: Hi\n", "user: Yo\n");
        for (int i = 0; i < 2; i++) {
            JsonNode line = r.jsonLines().get(i);
            assertThat(line.get("rendered").asText()).isEqualTo(expected.get(i));
            assertThat(line.get("ids")).isEqualTo(JSON.valueToTree(tokenizer.encode(expected.get(i), false).ids()));
        }

        // --tools (a list, or an object with "tools") and --template-var apply to every conversation and win over the file's
        Path tools = Files.writeString(tmp.resolve("tools.json"), "{\"tools\": [" + tool("get_time") + ", " + tool("get_date") + "]}");
        Cli.Run over = Cli.run("tokenize", "--model", model.toString(), "--chat", chats.toString(), "--tools", tools.toString(),
                "--template-var", "enable_thinking=true", "--template-var", "date_string=26 Jul 2024", "--add-generation-prompt", "--json");
        assertThat(over.status()).as(over.err()).isZero();
        assertThat(over.jsonLines()).extracting(l -> l.get("rendered").asText()).containsExactly(
                "<tool get_time><tool get_date>\nthinking=True\ndate=26 Jul 2024\nuser: Hi\nassistant:",
                "<tool get_time><tool get_date>\nthinking=True\ndate=26 Jul 2024\nuser: Yo\nassistant:");
        Path list = Files.writeString(tmp.resolve("list.json"), "[" + tool("a") + "]");
        Path one = Files.writeString(tmp.resolve("one.json"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        Cli.Run fromList = Cli.run("tokenize", "--model", model.toString(), "--chat", one.toString(), "--tools", list.toString(),
                "--template-var", "date_string=2024", "--json");
        assertThat(fromList.json().get("rendered").asText()).isEqualTo("<tool a>\ndate=2024\nuser: Hi\n");
    }

    @Test
    void badToolsAndTemplateVariablesAreOneLineErrors(@TempDir Path tmp) throws IOException {
        Path model = toolsModel(tmp.resolve("model"));
        Path one = Files.writeString(tmp.resolve("one.json"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        String[] base = {"tokenize", "--model", model.toString(), "--chat", one.toString()};
        java.util.function.BiConsumer<Cli.Run, String> fails = (run, message) -> {
            assertThat(run.status()).isEqualTo(2);
            assertThat(run.out()).isEmpty();
            assertThat(run.err().strip()).isEqualTo("error: " + message);
        };
        fails.accept(Cli.run(with(base, "--template-var", "enable_thinking")),
                "--template-var wants KEY=VALUE, got 'enable_thinking' (--template-var)");
        fails.accept(Cli.run(with(base, "--template-var", "tools=get_weather")),
                "tools is not a list of tool definitions (JSON objects): got a string (--template-var tools=get_weather)");
        fails.accept(Cli.run(with(base, "--template-var", "messages=[]")),
                "--template-var gives \"messages\" as a template variable: the conversation is the messages (--template-var messages=[])");
        Path missing = tmp.resolve("nope.json");
        fails.accept(Cli.run(with(base, "--tools", missing.toString())), "no such tools file (--tools " + missing + ")");
        Path junk = Files.writeString(tmp.resolve("junk.json"), "[{\"type\": \n");
        fails.accept(Cli.run(with(base, "--tools", junk.toString())), "not valid JSON at line 2 (--tools " + junk + ")");
        Path noTools = Files.writeString(tmp.resolve("obj.json"), "{\"functions\": []}");
        fails.accept(Cli.run(with(base, "--tools", noTools.toString())),
                "expected a JSON list of tool definitions, or an object with \"tools\" (--tools " + noTools + ")");
        Path names = Files.writeString(tmp.resolve("names.json"), "[\"get_weather\"]");
        fails.accept(Cli.run(with(base, "--tools", names.toString())),
                "the file is not a list of tool definitions (JSON objects): item 0 is a string (--tools " + names + ")");
        Path both = Files.writeString(tmp.resolve("both.json"), "[]");
        fails.accept(Cli.run(with(base, "--tools", both.toString(), "--template-var", "tools=[]")),
                "give --tools or --template-var tools=..., not both");
        fails.accept(Cli.run("tokenize", "--model", model.toString(), "--text", "hi", "--template-var", "a=1"),
                "--tools and --template-var go with --chat (a chat template rendering)");
        Path badRow = Files.writeString(tmp.resolve("bad.json"), "[{\"messages\": [], \"tools\": {\"name\": \"x\"}}]");
        fails.accept(Cli.run("tokenize", "--model", model.toString(), "--chat", badRow.toString()),
                "tools is not a list of tool definitions (JSON objects): got an object (" + badRow + ": [0].tools)");
    }

    private static String[] with(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void badInputIsOneLineAndExitStatus2(@TempDir Path tmp) throws IOException {
        Cli.Run missing = Cli.run("inspect", tmp.resolve("nope").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err().strip()).startsWith("error: ").doesNotContain("\n").contains("nope");

        Path junk = Files.writeString(tmp.resolve("junk.safetensors"), "not a safetensors file at all");
        Cli.Run notSafetensors = Cli.run("inspect", junk.toString());
        assertThat(notSafetensors.status()).isEqualTo(2);
        assertThat(notSafetensors.err().strip()).startsWith("error: ").doesNotContain("\n").contains("junk.safetensors");

        Cli.Run noTokenizer = Cli.run("tokenize", "--model", tmp.toString(), "--text", "hi");
        assertThat(noTokenizer.status()).isEqualTo(2);
        assertThat(noTokenizer.err().strip()).startsWith("error: ").doesNotContain("\n");

        Cli.Run twoSources = Cli.run("tokenize", "--model", tmp.toString(), "--text", "a", "--chat", "b.json");
        assertThat(twoSources.err().strip()).isEqualTo("error: tokenize needs exactly one of --text, --input, --chat");
    }
}
