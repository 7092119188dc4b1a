package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Data files and model folders for the tests. */
final class DataFiles {
    private DataFiles() {}

    static final ObjectMapper JSON = new ObjectMapper();
    static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    static final Path LLAMA = FIXTURES.resolve("llama/model");
    static final Path LLAMA_SEQCLS = FIXTURES.resolve("llama-seqcls/model");
    static final Path GEMMA = FIXTURES.resolve("gemma2/model");

    static Path jsonl(Path file, List<? extends Map<String, ?>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, ?> r : rows) sb.append(JSON.writeValueAsString(r)).append('\n');
        return Files.writeString(file, sb);
    }

    static Map<String, String> msg(String role, String content) {
        return Map.of("role", role, "content", content);
    }

    /** One {"text": "row i"} row per id, n of them. */
    static Path numberedRows(Path file, int n) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(JSON.writeValueAsString(Map.of("text", "row " + i))).append('\n');
        return Files.writeString(file, sb);
    }

    /**
     * The llama fixture's tokenizer with ChatML's special tokens added, a Qwen2.5-style ChatML
     * template (default system prompt, {@code <|im_start|>role\n...<|im_end|>\n}) and eos
     * {@code <|im_end|>}: a folder shaped like a Qwen2 instruct checkpoint, without weights.
     */
    static Path chatmlModel(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode tokenizer = (ObjectNode) JSON.readTree(LLAMA.resolve("tokenizer.json").toFile());
        ArrayNode added = (ArrayNode) tokenizer.get("added_tokens");
        int next = 0;
        for (var t : added) next = Math.max(next, t.get("id").asInt() + 1);
        for (String special : List.of("<|im_start|>", "<|im_end|>"))
            added.addObject().put("id", next++).put("content", special).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer.toString());
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"eos_token\": \"<|im_end|>\", \"pad_token\": \"<|pad|>\", \"bos_token\": null}");
        Files.copy(LLAMA.resolve("config.json"), dir.resolve("config.json"));
        Files.writeString(dir.resolve("chat_template.jinja"), """
                {%- for message in messages %}
                    {%- if loop.first and message['role'] != 'system' %}
                        {{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}
                    {%- endif %}
                    {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}
                {%- endfor %}
                {%- if add_generation_prompt %}
                    {{- '<|im_start|>assistant\\n' }}
                {%- endif %}
                """);
        return dir;
    }

    /** Qwen2.5-Instruct's chat template (tools, tool calls, tool results), one of the model module's test templates. */
    static final Path QWEN25_TEMPLATE = Path.of("..", "model", "src", "test", "resources", "chat_templates", "qwen25.jinja");

    /**
     * {@link #chatmlModel} with Qwen2.5's own chat template, which renders tools in the system prompt,
     * assistant tool calls and tool results; max_position_embeddings is raised for the long tool system
     * prompt in the fixture's tiny vocabulary (the folder has no weights: only rows are made with it).
     */
    static Path qwen25Model(Path dir) throws IOException {
        chatmlModel(dir);
        Files.copy(QWEN25_TEMPLATE, dir.resolve("chat_template.jinja"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("max_position_embeddings", 4096);
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }
}
