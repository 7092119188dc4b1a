package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.generate.Sampler;
import dev.qlora4j.model.generate.StopTokens;
import dev.qlora4j.model.generate.TokenGenerator;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.qlora4j.train.cli.EvalCommandTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code generate} and {@code chat} on the fixture models. */
class GenerationCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    private static final String LLAMA = FIXTURES.resolve("llama/model").toString();

    private static int[] ints(JsonNode list) {
        int[] v = new int[list.size()];
        for (int i = 0; i < v.length; i++) v[i] = list.get(i).asInt();
        return v;
    }

    private static JsonNode ok(Cli.Run r) throws IOException {
        assertThat(r.status()).as(r.err()).isZero();
        return r.json();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma2", "llama31-bf16-sharded"})
    void greedyPromptIdsGiveTransformersTokens(String fixture) throws IOException {
        JsonNode gen = JSON.readTree(FIXTURES.resolve(fixture).resolve("reference.json").toFile()).get("generate");
        Path model = FIXTURES.resolve(fixture).resolve("model");
        int[] prompt = ints(gen.get("prompt_ids")), want = ints(gen.get("greedy_ids"));
        String idList = String.join(",", Arrays.stream(prompt).mapToObj(String::valueOf).toList());
        Cli.Run r = Cli.run("generate", "--model", model.toString(), "--prompt-ids", idList,
                "--max-new-tokens", gen.get("max_new_tokens").asText(), "--json");
        JsonNode result = ok(r);
        assertThat(ints(result.get("ids"))).containsExactly(want);
        String text = Tokenizer.load(model).decode(Arrays.copyOfRange(want, prompt.length, want.length), true);
        assertThat(result.get("text").asText()).isEqualTo(text);
        assertThat(r.err()).as("the text streams to the human stream").contains(text);
        assertThat(r.out().strip().split("\n")).as("stdout holds only the result").hasSize(1);
    }

    /**
     * generate --device cuda on the CPU emulator of the GPU (bf16 activations, no KV cache): the
     * same greedy tokens as transformers on every causal fixture (their top logits are far enough
     * apart for bf16).
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gemma2", "llama31-bf16-sharded"})
    void greedyGenerationOnTheGpuBackendGivesTransformersTokens(String fixture) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.qlora4j.accel.emu.CpuEmulator.bindings().isPresent(), "no CPU emulator (g++)");
        JsonNode gen = JSON.readTree(FIXTURES.resolve(fixture).resolve("reference.json").toFile()).get("generate");
        int[] prompt = ints(gen.get("prompt_ids"));
        String idList = String.join(",", Arrays.stream(prompt).mapToObj(String::valueOf).toList());
        System.setProperty("qlora4j.cuda", "emulator");
        try {
            JsonNode result = ok(Cli.run("generate", "--model", FIXTURES.resolve(fixture).resolve("model").toString(), "--prompt-ids", idList,
                    "--max-new-tokens", gen.get("max_new_tokens").asText(), "--device", "cuda", "--json"));
            assertThat(ints(result.get("ids"))).containsExactly(ints(gen.get("greedy_ids")));
        } finally {
            System.clearProperty("qlora4j.cuda");
        }
    }

    @Test
    void anAdapterChangesWhatIsGeneratedAsTheLibraryDoes() throws IOException {
        Path adapter = FIXTURES.resolve("llama/adapter_init");
        int[] prompt = {378, 374, 304, 220, 350, 72};
        int[] want;
        try (Transformer model = Transformer.load(Path.of(LLAMA))) {
            dev.qlora4j.model.lora.LoraModel.load(model, adapter, null);
            want = new TokenGenerator(model, java.util.Set.of()).generate(prompt, 10, Sampler.greedy(), id -> { }).ids();
        }
        JsonNode result = ok(Cli.run("generate", "--model", LLAMA, "--adapter", adapter.toString(), "--prompt-ids", "378,374,304,220,350,72",
                "--max-new-tokens", "10", "--json"));
        assertThat(ints(result.get("ids"))).containsExactly(want);
        JsonNode base = ok(Cli.run("generate", "--model", LLAMA, "--prompt-ids", "378,374,304,220,350,72", "--max-new-tokens", "10", "--json"));
        assertThat(ints(base.get("ids"))).as("the adapter (random B) changes the output").isNotEqualTo(want);
    }

    @Test
    void aTextPromptIsEncodedWithSpecialTokens() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(Path.of(LLAMA));
        int[] prompt = tokenizer.encode("What is justice?", true).ids();
        assertThat(prompt[0]).isEqualTo(378);
        JsonNode result = ok(Cli.run("generate", "--model", LLAMA, "--prompt", "What is justice?", "--max-new-tokens", "5", "--json"));
        int[] ids = ints(result.get("ids"));
        assertThat(Arrays.copyOf(ids, prompt.length)).containsExactly(prompt);
        assertThat(ids).hasSize(prompt.length + 5);

        // without --json the streamed text is what stdout shows
        Cli.Run plain = Cli.run("generate", "--model", LLAMA, "--prompt", "What is justice?", "--max-new-tokens", "5");
        assertThat(plain.status()).isZero();
        assertThat(plain.out()).isEqualTo(result.get("text").asText() + "\n");
    }

    @Test
    void chatWrapsThePromptInTheTemplate() throws IOException {
        Path model = FIXTURES.resolve("gemma2/model");
        String rendered = ChatTemplate.load(model).render(List.of(new dev.qlora4j.model.chat.Message("user", "Hello")), true);
        assertThat(rendered).isEqualTo("<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n");
        int[] prompt = Tokenizer.load(model).encode(rendered, false).ids();
        JsonNode result = ok(Cli.run("generate", "--model", model.toString(), "--prompt", "Hello", "--chat", "--max-new-tokens", "4", "--json"));
        assertThat(Arrays.copyOf(ints(result.get("ids")), prompt.length)).containsExactly(prompt);
    }

    @Test
    void samplingIsSeededAndTopK1IsGreedy() throws IOException {
        String[] base = {"generate", "--model", LLAMA, "--prompt", "What is justice?", "--max-new-tokens", "16", "--json"};
        JsonNode greedy = ok(Cli.run(base));
        JsonNode a = ok(Cli.run(with(base, "--temperature", "1.2", "--seed", "7")));
        JsonNode b = ok(Cli.run(with(base, "--temperature", "1.2", "--seed", "7")));
        assertThat(b).isEqualTo(a);
        assertThat(a.get("ids")).isNotEqualTo(greedy.get("ids"));
        assertThat(ok(Cli.run(with(base, "--temperature", "1.2", "--seed", "8"))).get("ids")).isNotEqualTo(a.get("ids"));
        assertThat(ok(Cli.run(with(base, "--temperature", "0.7", "--top-k", "1", "--seed", "3")))).isEqualTo(greedy);
        // a nucleus this small holds only the most likely token
        assertThat(ok(Cli.run(with(base, "--temperature", "1.2", "--top-p", "1e-6", "--seed", "9")))).isEqualTo(greedy);

        // without --seed the run says which seed it drew, and that seed repeats it
        Cli.Run unseeded = Cli.run(with(base, "--temperature", "1.2"));
        Matcher m = Pattern.compile("\\(sampling with --seed (-?\\d+)\\)").matcher(unseeded.err());
        assertThat(m.find()).as(unseeded.err()).isTrue();
        assertThat(ok(Cli.run(with(base, "--temperature", "1.2", "--seed", m.group(1))))).isEqualTo(ok(unseeded));
    }

    private static String[] with(String[] base, String... more) {
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void generateErrorsAreOneLine() {
        Cli.Run tooLong = Cli.run("generate", "--model", LLAMA, "--prompt", "What is justice?", "--max-new-tokens", "300");
        assertError(tooLong, null);
        assertThat(tooLong.err()).contains("plus 300 new tokens").contains("exceeds max_position_embeddings 256");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt", "x", "--adapter", "a"),
                "error: no such adapter folder (a)");
        assertError(Cli.run("generate", "--model", LLAMA), "error: generate needs exactly one of --prompt, --prompt-ids");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt", "x", "--prompt-ids", "1"),
                "error: generate needs exactly one of --prompt, --prompt-ids");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt-ids", "1,x"),
                "error: --prompt-ids wants comma-separated token ids, got 'x' (--prompt-ids)");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt-ids", "1", "--chat"),
                "error: --chat needs --prompt (a user message), not --prompt-ids");
        Cli.Run outside = Cli.run("generate", "--model", LLAMA, "--prompt-ids", "1,384");
        assertError(outside, null);
        assertThat(outside.err()).contains("prompt token id 384 is outside the vocabulary of 384");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt", "x", "--top-p", "0"), "error: --top-p must be in (0, 1] (got 0)");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt", "x", "--temperature", "hot"),
                "error: option --temperature wants a number, got 'hot'");
        assertError(Cli.run("generate", "--model", "no/such/dir", "--prompt", "x"), "error: no such model folder (no/such/dir)");
        Cli.Run classifier = Cli.run("generate", "--model", FIXTURES.resolve("llama-seqcls/model").toString(), "--prompt", "x");
        assertError(classifier, null);
        assertThat(classifier.err()).contains("generation needs a causal language model");
    }

    /** What one chat turn must answer: greedy decoding of the rendered history, computed without the CLI and without cache reuse. */
    private static String expectedReply(Path model, List<Map<String, Object>> history, int maxNewTokens) {
        return expectedReply(model, history, maxNewTokens, Map.of());
    }

    private static String expectedReply(Path model, List<Map<String, Object>> history, int maxNewTokens, Map<String, Object> variables) {
        Tokenizer tokenizer = Tokenizer.load(model);
        int[] prompt = tokenizer.encode(ChatTemplate.load(model).renderMessages(history, true, variables), false).ids();
        try (Transformer m = Transformer.load(model)) {
            TokenGenerator gen = new TokenGenerator(m, StopTokens.of(model, m.config(), tokenizer));
            return tokenizer.decode(gen.generate(prompt, maxNewTokens, Sampler.greedy(), id -> {}).newIds(), true);
        }
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2"})
    void chatKeepsTheHistoryUntilReset(String fixture) throws IOException {
        Path model = FIXTURES.resolve(fixture).resolve("model");
        List<Map<String, Object>> history = new ArrayList<>();
        history.add(message("user", "Hello"));
        String first = expectedReply(model, history, 6);
        history.add(message("assistant", first));
        history.add(message("user", "How are you?"));
        String second = expectedReply(model, history, 6);
        String afterReset = expectedReply(model, List.of(message("user", "Hi")), 6);

        Cli.Run r = Cli.runWithInput("Hello\nHow are you?\n\n/reset\nHi\n", "chat", "--model", model.toString(), "--max-new-tokens", "6");
        assertThat(r.status()).as(r.err()).isZero();
        String header = "chat with " + model + " (/reset clears the history, /exit quits)\n";
        assertThat(r.out()).isEqualTo(header + "> " + first + "\n> " + second + "\n> > (history cleared)\n> " + afterReset + "\n> \n");
        assertThat(second).as("the history changes the answer").isNotEqualTo(
                expectedReply(model, List.of(message("user", "How are you?")), 6));
    }

    @Test
    void chatStopsAtExitAndReportsTurns() throws IOException {
        Cli.Run r = Cli.runWithInput("Hello\n/exit\nnever read\n", "chat", "--model", LLAMA, "--max-new-tokens", "3", "--json");
        assertThat(ok(r).get("turns").asInt()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("never read");
        assertError(Cli.runWithInput("Hi\n", "chat", "--model", LLAMA, "--adapter", "x"),
                "error: no such adapter folder (x)");
    }

    @Test
    void aConversationThatOutgrowsTheContextSaysSoAndGoesOn() throws IOException {
        String longLine = "What is justice? ".repeat(40);   // well over 256 tokens with the tiny vocabulary
        Cli.Run r = Cli.runWithInput(longLine + "\nHi\n", "chat", "--model", LLAMA, "--max-new-tokens", "3", "--json");
        assertThat(ok(r).get("turns").asInt()).isEqualTo(1);
        assertThat(r.err()).contains("error: ").contains("exceeds max_position_embeddings 256").contains("/reset starts a new conversation");
    }

    /** The llama fixture with a template that shows its tools' names and a greeting variable. */
    private static Path toolsModel(Path dir) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        try (var files = java.nio.file.Files.list(Path.of(LLAMA))) {
            for (Path f : files.toList()) java.nio.file.Files.copy(f, dir.resolve(f.getFileName()));
        }
        java.nio.file.Files.writeString(dir.resolve("chat_template.jinja"), "{{ bos_token }}{% for t in tools or [] %}[{{ t.function.name }}]"
                + "{% endfor %}{% if greeting is defined %}{{ greeting }} {% endif %}{% for m in messages %}{{ m.role }}: {{ m.content }} "
                + "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");
        return dir;
    }

    @Test
    void generateChatAndChatGiveTheTemplateToolsAndVariables(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path model = toolsModel(tmp.resolve("model"));
        Path tools = java.nio.file.Files.writeString(tmp.resolve("tools.json"),
                "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}]");
        String rendered = "<|begin_of_text|>[get_weather]Bonjour user: Hello assistant:";
        int[] prompt = Tokenizer.load(model).encode(rendered, false).ids();
        JsonNode result = ok(Cli.run("generate", "--model", model.toString(), "--prompt", "Hello", "--chat", "--tools", tools.toString(),
                "--template-var", "greeting=Bonjour", "--max-new-tokens", "3", "--json"));
        assertThat(Arrays.copyOf(ints(result.get("ids")), prompt.length)).containsExactly(prompt);
        assertThat(ChatTemplate.load(model).renderMessages(List.of(message("user", "Hello")), true,
                Map.of("tools", List.of(Map.of("function", Map.of("name", "get_weather"))), "greeting", "Bonjour"))).isEqualTo(rendered);

        Map<String, Object> vars = Map.of("tools", List.of(Map.of("type", "function", "function", Map.of("name", "get_weather"))),
                "greeting", "Bonjour");
        String reply = expectedReply(model, List.of(message("user", "Hello")), 4, vars);
        Cli.Run chat = Cli.runWithInput("Hello\n", "chat", "--model", model.toString(), "--tools", tools.toString(),
                "--template-var", "greeting=Bonjour", "--max-new-tokens", "4");
        assertThat(chat.status()).as(chat.err()).isZero();
        assertThat(chat.out()).isEqualTo("chat with " + model + " (/reset clears the history, /exit quits)\n> " + reply + "\n> \n");
        assertThat(reply).as("the variables change the prompt, so the answer").isNotEqualTo(
                expectedReply(model, List.of(message("user", "Hello")), 4));

        assertError(Cli.run("generate", "--model", model.toString(), "--prompt", "Hello", "--tools", tools.toString()),
                "error: --tools and --template-var go with --chat (a chat template prompt)");
        assertError(Cli.runWithInput("Hi\n", "chat", "--model", model.toString(), "--template-var", "greeting"),
                "error: --template-var wants KEY=VALUE, got 'greeting' (--template-var)");
        Path bad = java.nio.file.Files.writeString(tmp.resolve("bad.json"), "{\"tools\": 3}");
        assertError(Cli.runWithInput("Hi\n", "chat", "--model", model.toString(), "--tools", bad.toString()),
                "error: \"tools\" is not a list of tool definitions (JSON objects): got a number (--tools " + bad + ")");
    }

    @Test
    void helpListsTheNewCommands() {
        assertThat(Cli.run("--help").out()).contains("eval").contains("generate").contains("chat");
    }
}
