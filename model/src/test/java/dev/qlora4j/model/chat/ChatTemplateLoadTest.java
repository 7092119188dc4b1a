package dev.qlora4j.model.chat;

import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the template comes from, and how failures are reported. */
class ChatTemplateLoadTest {
    private static final String ECHO = "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{{ eos_token }}{% endfor %}";

    private static Path write(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static String jsonString(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    @Test
    void tokenizerConfigStringWithAddedTokenObjects(@TempDir Path dir) throws IOException {
        Path config = write(dir, "tokenizer_config.json", """
                {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
                 "eos_token": "</s>", "pad_token": null, "chat_template": %s}""".formatted(jsonString(ECHO)));
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.origin()).isEqualTo(config + ": chat_template");
        assertThat(t.specialTokens()).containsExactly(Map.entry("bos_token", "<s>"), Map.entry("eos_token", "</s>"));
        assertThat(t.render(List.of(Message.user("a"), Message.assistant("b")), false)).isEqualTo("<s>user:a</s>assistant:b</s>");
    }

    @Test
    void namedTemplatesUseDefault(@TempDir Path dir) throws IOException {
        Path config = write(dir, "tokenizer_config.json", """
                {"chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "DEFAULT {{ messages|length }}"}]}""");
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.origin()).isEqualTo(config + ": chat_template[default]");
        assertThat(t.render(List.of(Message.user("x")), false)).isEqualTo("DEFAULT 1");

        write(dir, "tokenizer_config.json", """
                {"chat_template": [{"name": "tool_use", "template": "TOOLS"}, {"name": "rag", "template": "RAG"}]}""");
        assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(BadInputException.class)
                .hasMessage("no chat template named \"default\" among tool_use, rag (" + config + ": chat_template)");
    }

    @Test
    void chatTemplateJinjaWinsOverTokenizerConfig(@TempDir Path dir) throws IOException {
        write(dir, "tokenizer_config.json", "{\"bos_token\": \"<s>\", \"chat_template\": \"FROM CONFIG\"}");
        Path jinja = write(dir, "chat_template.jinja", "FROM FILE {{ bos_token }}\n");
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.origin()).isEqualTo(jinja.toString());
        // jinja2 drops the single trailing newline of a template (keep_trailing_newline=False)
        assertThat(t.render(List.of(), false)).isEqualTo("FROM FILE <s>");
    }

    @Test
    void missingTemplate(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(BadInputException.class)
                .hasMessage("no chat template: neither chat_template.jinja nor a chat_template in tokenizer_config.json (" + dir + ")");
        write(dir, "tokenizer_config.json", "{\"chat_template\": 3}");
        assertThatThrownBy(() -> ChatTemplate.load(dir))
                .hasMessage("chat_template must be a string or a list of {name, template} (" + dir.resolve("tokenizer_config.json") + ": chat_template)");
        assertThatThrownBy(() -> ChatTemplate.load(dir.resolve("nope"))).hasMessage("not a folder (" + dir.resolve("nope") + ")");
    }

    @Test
    void raiseExceptionNamesTheTemplate(@TempDir Path dir) throws IOException {
        String gemmaLike = "{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% endfor %}ok";
        Path config = write(dir, "tokenizer_config.json", "{\"chat_template\": " + jsonString(gemmaLike) + "}");
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.render(List.of(Message.user("a"), Message.assistant("b")), false)).isEqualTo("ok");
        assertThatThrownBy(() -> t.render(List.of(Message.user("a"), Message.user("b")), false))
                .isInstanceOf(BadInputException.class)
                .hasMessage("chat template failed: Conversation roles must alternate user/assistant/user/assistant/... ("
                        + config + ": chat_template)");
    }

    @Test
    void syntaxErrorsFailAtLoad(@TempDir Path dir) throws IOException {
        Path jinja = write(dir, "chat_template.jinja", "line one\n{% for m in messages %}\n{{ m.role }}");
        assertThatThrownBy(() -> ChatTemplate.load(dir)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("chat template syntax error: ")
                .hasMessageContaining("endfor")
                .hasMessageEndingWith("(" + jinja + ")");
        write(dir, "chat_template.jinja", "a\nb {{ 'unclosed }}");
        assertThatThrownBy(() -> ChatTemplate.load(dir))
                .hasMessage("chat template syntax error: unterminated string at line 2 (" + jinja + ")");
        write(dir, "chat_template.jinja", "{# never closed");
        assertThatThrownBy(() -> ChatTemplate.load(dir))
                .hasMessage("chat template syntax error: missing end of comment tag at line 1 (" + jinja + ")");
        write(dir, "chat_template.jinja", "{% endif %}");
        assertThatThrownBy(() -> ChatTemplate.load(dir)).hasMessageStartingWith("chat template syntax error: ");
    }

    @Test
    void runtimeErrorsAreOneLineWithTheTemplateLine() {
        ChatTemplate t = ChatTemplate.of("first\n{{ 'n: ' + messages|length }}", "t.jinja", Map.of());
        assertThatThrownBy(() -> t.render(List.of(Message.user("a")), false))
                .isInstanceOf(BadInputException.class)
                .hasMessage("chat template failed: can only concatenate str (not \"int\") to str at line 2 (t.jinja)");
        ChatTemplate undefined = ChatTemplate.of("{{ messages[5].content }}", "u.jinja", Map.of());
        assertThatThrownBy(() -> undefined.render(List.of(Message.user("a")), false))
                .hasMessage("chat template failed: list object has no element 5 at line 1 (u.jinja)");
    }

    @Test
    void messagesFromJson() {
        List<Map<String, Object>> messages = ChatTemplate.parseMessages("""
                [{"role": "user", "content": "hi", "name": "ann"}, {"role": "assistant", "content": null, "tool_calls": []}]""", "m.json");
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.role }}/{{ m.name }}/{{ m.content }}/{{ m.tool_calls is defined }};{% endfor %}",
                "t", Map.of());
        assertThat(t.renderMessages(messages, false)).isEqualTo("user/ann/hi/False;assistant//None/True;");
        assertThatThrownBy(() -> ChatTemplate.parseMessages("{\"role\": \"user\"}", "m.json"))
                .hasMessage("messages must be a JSON array of objects (m.json)");
        assertThatThrownBy(() -> ChatTemplate.parseMessages("[{\"content\": \"x\"}]", "m.json"))
                .hasMessage("each message must be an object with a \"role\" (m.json)");
    }

    @Test
    void extraVariablesOverrideSpecialTokens() {
        ChatTemplate t = ChatTemplate.of("{{ bos_token }}|{{ date_string }}|{{ tools|length }}", "t", Map.of("bos_token", "<s>"));
        assertThat(t.renderMessages(List.of(), false, Map.of("bos_token", "<B>", "date_string", "1 Jan", "tools", List.of(1, 2))))
                .isEqualTo("<B>|1 Jan|2");
    }
}
