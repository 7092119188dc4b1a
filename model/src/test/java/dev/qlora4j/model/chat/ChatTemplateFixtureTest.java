package dev.qlora4j.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reference tokenizers' chat[] vectors: transformers 5.17's apply_chat_template output for each
 * conversation (add_generation_prompt=false) and for its first message with
 * add_generation_prompt=true. Our rendering must equal them byte for byte.
 */
class ChatTemplateFixtureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path tokenizer(String name) {
        return Path.of("..", "fixtures", "hf", "tokenizers", name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytelevel-bpe", "sentencepiece-bpe"})
    void rendersEveryVectorExactly(String name) throws IOException {
        ChatTemplate template = ChatTemplate.load(tokenizer(name));
        assertThat(template.origin()).isEqualTo(tokenizer(name).resolve("chat_template.jinja").toString());
        JsonNode chats = JSON.readTree(tokenizer(name).resolve("vectors.json").toFile()).get("chat");
        assertThat(chats.size()).isGreaterThanOrEqualTo(6);
        for (JsonNode chat : chats) {
            List<Map<String, Object>> messages = new ArrayList<>();
            List<Message> records = new ArrayList<>();
            for (JsonNode m : chat.get("messages")) {
                messages.add(JSON.convertValue(m, Map.class));
                records.add(new Message(m.get("role").asText(), m.get("content").asText()));
            }
            String rendered = chat.get("rendered").asText();
            assertThat(template.renderMessages(messages, false)).isEqualTo(rendered);
            assertThat(template.render(records, false)).isEqualTo(rendered);
            assertThat(template.render(records.subList(0, 1), true)).isEqualTo(chat.get("generation_prompt").asText());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama31-bf16-sharded", "qwen2", "gemma2", "llama-seqcls", "gemma2-seqcls"})
    void modelFoldersCarryTheirTokenizersTemplate(String model) {
        ChatTemplate template = ChatTemplate.load(Path.of("..", "fixtures", "hf", model, "model"));
        boolean gemma = model.startsWith("gemma");
        String text = template.render(List.of(Message.user("Hi")), true);
        assertThat(text).isEqualTo(gemma ? "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"
                : "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sentencepiece-bpe"})
    void specialTokensComeFromTokenizerConfig(String name) {
        assertThat(ChatTemplate.load(tokenizer(name)).specialTokens())
                .containsEntry("bos_token", "<bos>").containsEntry("eos_token", "<eos>")
                .containsEntry("pad_token", "<pad>").containsEntry("unk_token", "<unk>")
                .doesNotContainKey("sep_token");
    }
}
