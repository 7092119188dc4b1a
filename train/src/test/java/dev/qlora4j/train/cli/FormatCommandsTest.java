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
