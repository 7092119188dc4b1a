package dev.qlora4j.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The reference vectors written by tokenizers 0.23 itself (fixtures/hf/tokenizers). */
class FixtureVectorsTest {
    static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (String kind : List.of("bytelevel-bpe", "sentencepiece-bpe")) {
            JsonNode vectors = MAPPER.readTree(FIXTURES.resolve("tokenizers").resolve(kind).resolve("vectors.json").toFile());
            int i = 0;
            for (JsonNode c : vectors.get("cases")) {
                all.add(Arguments.of(kind, i++, c));
            }
        }
        return all.stream();
    }

    static Stream<Arguments> chats() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (String kind : List.of("bytelevel-bpe", "sentencepiece-bpe")) {
            JsonNode vectors = MAPPER.readTree(FIXTURES.resolve("tokenizers").resolve(kind).resolve("vectors.json").toFile());
            int i = 0;
            for (JsonNode c : vectors.get("chat")) {
                all.add(Arguments.of(kind, i++, c));
            }
        }
        return all.stream();
    }

    static Tokenizer load(String kind) {
        return Tokenizer.load(FIXTURES.resolve("tokenizers").resolve(kind));
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest(name = "{0} case {1}")
    @MethodSource("cases")
    void encodesAndDecodesLikeTokenizers(String kind, int index, JsonNode c) {
        Tokenizer tok = load(kind);
        String text = c.get("text").asText();

        Encoding plain = tok.encode(text, false);
        assertThat(plain.ids()).as("ids of %s", text).containsExactly(ints(c.get("ids")));
        List<String> tokens = new ArrayList<>();
        c.get("tokens").forEach(t -> tokens.add(t.asText()));
        assertThat(plain.tokens()).containsExactlyElementsOf(tokens);

        assertThat(tok.encode(text, true).ids()).containsExactly(ints(c.get("ids_with_special")));
        // vectors.json's "decoded" is decode(ids, skip_special_tokens=False) (checked against tokenizers)
        assertThat(tok.decode(ints(c.get("ids")), false)).isEqualTo(c.get("decoded").asText());
    }

    @ParameterizedTest(name = "{0} chat {1}")
    @MethodSource("chats")
    void encodesRenderedChatsWithSpecialTokensInTheText(String kind, int index, JsonNode c) {
        Tokenizer tok = load(kind);
        assertThat(tok.encode(c.get("rendered").asText(), false).ids()).containsExactly(ints(c.get("ids")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama31-bf16-sharded", "qwen2", "gemma2", "llama-seqcls", "gemma2-seqcls"})
    void modelFoldersLoadAndRoundTrip(String model) {
        Tokenizer tok = Tokenizer.load(FIXTURES.resolve(model).resolve("model"));
        String text = "Hello world! 日本語 🙂 123456";
        assertThat(tok.decode(tok.encode(text, false).ids(), false)).isEqualTo(text);
        assertThat(tok.vocabSize()).isGreaterThan(0);
    }
}
