package dev.qlora4j.bench;

import dev.qlora4j.model.chat.ChatTemplate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Rendering a 20-turn conversation (a system prompt, then 10 user and 10 assistant messages of a
 * few sentences each) with a chat template from model/src/test/resources/chat_templates.
 * {@code warm}: average time per render once the JIT has settled; {@code firstRender}: parse and
 * render once in a fresh JVM (single shot, 10 forks), what a command-line run pays.
 * {@code bench/chat-template-vs-jinja2.sh} runs this and the same renders in Python's jinja2.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ChatTemplateBench {
    @Param({"qwen25.jinja"})
    public String template;

    private String source;
    private ChatTemplate parsed;
    private List<Map<String, Object>> messages;

    @Setup
    public void setup() throws IOException {
        Path dir = Path.of("model", "src", "test", "resources", "chat_templates");
        if (!Files.isDirectory(dir)) dir = Path.of("..").resolve(dir);
        source = Files.readString(dir.resolve(template), StandardCharsets.UTF_8);
        parsed = ChatTemplate.of(source, template, Map.of("bos_token", "<s>", "eos_token", "</s>"));
        messages = conversation(20);
    }

    /** The benchmark's conversation, also written out by the peer script's Java side. */
    public static List<Map<String, Object>> conversation(int turns) {
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(message("system", "You are Socrates. Answer with a question that examines the assumption behind the user's words."));
        for (int t = 0; t < turns; t++)
            out.add(message(t % 2 == 0 ? "user" : "assistant", (t % 2 == 0 ? "Turn " + t + ": what is justice, if not the advantage"
                    + " of the stronger? I have heard it said in the agora, and many nod when they hear it."
                    : "Turn " + t + ": and when the stronger errs about their own advantage, is it still just to obey them? "
                    + "Let us look at this together, slowly.")));
        return out;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public String warm() {
        return parsed.renderMessages(messages, true);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @Fork(value = 10, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    @Warmup(iterations = 0)
    @Measurement(iterations = 1)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public String firstRender() {
        return ChatTemplate.of(source, template, Map.of("bos_token", "<s>", "eos_token", "</s>")).renderMessages(messages, true);
    }
}
