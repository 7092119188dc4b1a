package dev.qlora4j.model.chat;

import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Templates of real model families as their tokenizer_config.json files ship them
 * (src/test/resources/chat_templates), with expected text worked out by hand from each template:
 * trim_blocks / lstrip_blocks, "-" markers and filter precedence included.
 */
class HubTemplatesTest {
    static ChatTemplate template(String name, Map<String, String> tokens) {
        try (InputStream in = HubTemplatesTest.class.getResourceAsStream("/chat_templates/" + name + ".jinja")) {
            return ChatTemplate.of(new String(in.readAllBytes(), StandardCharsets.UTF_8), name + ".jinja", tokens);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON text as the maps and lists a caller would pass (key order kept). */
    static Object json(String text) {
        return JsonFiles.mapper().convertValue(JsonFiles.parse(text, "test"), Object.class);
    }

    private static final List<Message> CONVERSATION = List.of(
            Message.user("  Hi there!\n"), Message.assistant("Hello. How can I help?"), Message.user("Why?"));
    private static final List<Message> WITH_SYSTEM = List.of(
            Message.system("You are terse.  "), Message.user("Hi"), Message.assistant(" Yo "), Message.user("Bye"));

    /** Meta-Llama-3-8B-Instruct: bos only before the first turn, header ids, content | trim binds to content alone. */
    @Test
    void llama3() {
        ChatTemplate t = template("llama3", Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));
        assertThat(t.render(CONVERSATION, true)).isEqualTo("<|begin_of_text|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello. How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhy?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(t.render(WITH_SYSTEM, false)).isEqualTo("<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nYo<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>");
    }

    /**
     * Llama-3.1-8B-Instruct: the system turn with the knowledge-cutoff lines, the date from
     * date_string (default "26 Jul 2024"), tools as indented JSON in the first user turn.
     */
    @Test
    void llama31() {
        ChatTemplate t = template("llama31", Map.of("bos_token", "<|begin_of_text|>"));
        String header = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        assertThat(t.render(WITH_SYSTEM, true)).isEqualTo(header + "You are terse.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nYo<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(t.renderMessages(List.of(Message.user("Hi").toMap()), false, Map.of("date_string", "01 Jan 2025")))
                .isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");

        Object tools = json("[{\"type\": \"function\", \"function\": {\"name\": \"now\"}}]");
        assertThat(t.renderMessages(List.of(Message.user(" What time is it? ").toMap()), true, Map.of("tools", tools)))
                .isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\n"
                        + "Given the following functions, please respond with a JSON for a function call with its proper "
                        + "arguments that best answers the given prompt.\n\n"
                        + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}."
                        + "Do not use variables.\n\n"
                        + "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"now\"\n    }\n}\n\n"
                        + "What time is it?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    /** An assistant tool call and a tool answer: string content is "iterable", so it is JSON-quoted. */
    @Test
    void llama31ToolCallAndResult() {
        ChatTemplate t = template("llama31", Map.of("bos_token", "<s>"));
        List<Map<String, Object>> messages = ChatTemplate.parseMessages("""
                [{"role": "user", "content": "Weather?"},
                 {"role": "assistant", "tool_calls": [{"function": {"name": "weather", "arguments": {"city": "Paris", "days": 2}}}]},
                 {"role": "tool", "content": "sunny"}]""", "m");
        assertThat(t.renderMessages(messages, false)).isEqualTo("<s><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWeather?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 2}}<|eot_id|>"
                + "<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>");
    }

    /** gemma-2-2b-it: assistant becomes "model", no system role, strict alternation. */
    @Test
    void gemma() {
        ChatTemplate t = template("gemma", Map.of("bos_token", "<bos>", "eos_token", "<eos>"));
        assertThat(t.render(CONVERSATION, true)).isEqualTo("<bos>"
                + "<start_of_turn>user\nHi there!<end_of_turn>\n"
                + "<start_of_turn>model\nHello. How can I help?<end_of_turn>\n"
                + "<start_of_turn>user\nWhy?<end_of_turn>\n"
                + "<start_of_turn>model\n");
        assertThatThrownBy(() -> t.render(WITH_SYSTEM, false)).isInstanceOf(BadInputException.class)
                .hasMessage("chat template failed: System role not supported (gemma.jinja)");
        assertThatThrownBy(() -> t.render(List.of(Message.user("a"), Message.user("b")), false))
                .hasMessage("chat template failed: Conversation roles must alternate user/assistant/user/assistant/... (gemma.jinja)");
        assertThatThrownBy(() -> t.render(List.of(Message.assistant("a")), false))
                .hasMessage("chat template failed: Conversation roles must alternate user/assistant/user/assistant/... (gemma.jinja)");
    }

    /** Qwen2-7B-Instruct (ChatML): a default system turn when the first message is not one; no trimming. */
    @Test
    void qwen2() {
        ChatTemplate t = template("qwen2", Map.of("eos_token", "<|im_end|>"));
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\n  Hi there!\n<|im_end|>\n"
                        + "<|im_start|>assistant\nHello. How can I help?<|im_end|>\n"
                        + "<|im_start|>user\nWhy?<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(WITH_SYSTEM.subList(0, 2), false)).isEqualTo(
                "<|im_start|>system\nYou are terse.  <|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
        assertThat(t.render(List.of(), true)).isEqualTo("<|im_start|>assistant\n");
    }

    /** Qwen2.5: tools in the system turn, tool calls in <tool_call> tags, consecutive tool results in one user turn. */
    @Test
    void qwen25Tools() {
        ChatTemplate t = template("qwen25", Map.of());
        List<Map<String, Object>> messages = ChatTemplate.parseMessages("""
                [{"role": "user", "content": "Weather in Paris?"},
                 {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "weather", "arguments": {"city": "Paris"}}}]},
                 {"role": "tool", "content": "{\\"temp\\": 21.5}"},
                 {"role": "tool", "content": "sunny"},
                 {"role": "assistant", "content": "21.5 and sunny."}]""", "m");
        Object tools = json("[{\"type\": \"function\", \"function\": {\"name\": \"weather\"}}]");
        assertThat(t.renderMessages(messages, false, Map.of("tools", tools))).isEqualTo(
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
                        + "You may call one or more functions to assist with the user query.\n\n"
                        + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                        + "{\"type\": \"function\", \"function\": {\"name\": \"weather\"}}\n</tools>\n\n"
                        + "For each function call, return a json object with function name and arguments within "
                        + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
                        + "<args-json-object>}\n</tool_call><|im_end|>\n"
                        + "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
                        + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
                        + "<|im_start|>user\n<tool_response>\n{\"temp\": 21.5}\n</tool_response>\n<tool_response>\nsunny\n</tool_response><|im_end|>\n"
                        + "<|im_start|>assistant\n21.5 and sunny.<|im_end|>\n");
    }

    /** Mistral-7B-Instruct-v0.2: [INST] turns, eos after answers, no system role. */
    @Test
    void mistral() {
        ChatTemplate t = template("mistral", Map.of("bos_token", "<s>", "eos_token", "</s>"));
        assertThat(t.render(CONVERSATION, false)).isEqualTo(
                "<s>[INST]   Hi there!\n [/INST]Hello. How can I help?</s>[INST] Why? [/INST]");
        assertThatThrownBy(() -> t.render(WITH_SYSTEM, false))
                .hasMessage("chat template failed: Conversation roles must alternate user/assistant/user/assistant/... (mistral.jinja)");
    }

    /** Zephyr: a multi-line template whose layout newlines trim_blocks removes. */
    @Test
    void zephyr() {
        ChatTemplate t = template("zephyr", Map.of("eos_token", "</s>"));
        assertThat(t.render(WITH_SYSTEM.subList(0, 2), true)).isEqualTo(
                "<|system|>\nYou are terse.  </s>\n<|user|>\nHi</s>\n<|assistant|>\n");
    }
}
