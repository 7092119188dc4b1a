package dev.qlora4j.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.qlora4j.tensor.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed or unsupported tokenizer.json files fail with one line naming the file and JSON path. */
class BadInputTest {
    @TempDir
    Path temp;

    private static final String MODEL = """
            {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}""";

    private Path file(String json) throws IOException {
        Path f = temp.resolve("tokenizer.json");
        Files.writeString(f, json);
        return f;
    }

    private Path withSection(String section, String value) throws IOException {
        return file("{\"version\": \"1.0\", \"" + section + "\": " + value + ", \"model\": " + MODEL + "}");
    }

    @Test
    void unknownPreTokenizerInASequenceNamesItsPath() throws IOException {
        Path f = withSection("pre_tokenizer", """
                {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "Foo"}]}""");
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(BadInputException.class)
                .hasMessage("unsupported pre_tokenizer type \"Foo\" (" + f + ": pre_tokenizer.pretokenizers[1])");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "normalizer|{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}|unsupported normalizer type \"Precompiled\"|normalizer",
        "decoder|{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"CTC\"}]}|unsupported decoder type \"CTC\"|decoder.decoders[0]",
        "post_processor|{\"type\": \"Nope\"}|unsupported post_processor type \"Nope\"|post_processor",
        "pre_tokenizer|{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\", \"invert\": false}|invalid regex /(/|pre_tokenizer.pattern.Regex",
        "pre_tokenizer|{\"type\": \"Split\", \"pattern\": {\"Regex\": \"a\"}, \"behavior\": \"Sideways\", \"invert\": false}|unknown split behavior \"sideways\"|pre_tokenizer.behavior",
        "pre_tokenizer|{\"type\": \"Metaspace\", \"replacement\": \"ab\"}|expected a single character, found \"ab\"|pre_tokenizer.replacement",
        "added_tokens|[{\"id\": 3, \"special\": true}]|missing field \"content\"|added_tokens[0].content",
        "post_processor|{\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}], \"pair\": [], \"special_tokens\": {}}|special token \"<s>\" is missing from special_tokens|post_processor.single[0].SpecialToken",
    })
    void unsupportedOrMalformedComponentsNameTheirPath(String section, String value, String what, String path)
            throws IOException {
        Path f = withSection(section, value);
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(what).hasMessageEndingWith("(" + f + ": " + path + ")")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"type\": \"Unigram\", \"vocab\": []}|unsupported model type \"Unigram\" (only BPE is implemented)|model.type",
        "{\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}|merge token \"b\" is not in the vocabulary|model.merges[0]",
        "{\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"aa\": 1}, \"merges\": [[\"a\", \"a\"], \"a a a\"]}|expected \"left right\", found \"a a a\"|model.merges[1]",
        "{\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}|the id of \"a\" is not a non-negative integer|model.vocab",
        "{\"type\": \"BPE\", \"vocab\": {\"a\": 0}}|missing field \"merges\"|model",
    })
    void badModelsNameTheirPath(String model, String what, String path) throws IOException {
        Path f = file("{\"model\": " + model + "}");
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(BadInputException.class)
                .hasMessage(what + " (" + f + ": " + path + ")");
    }

    @Test
    void truncatedJsonIsReportedWithItsPosition() throws IOException {
        Path f = file("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0");
        assertThatThrownBy(() -> Tokenizer.load(f)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("invalid JSON at line 1").hasMessageEndingWith("(" + f + ")")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void missingFileOrFolderWithoutTokenizerJson() {
        assertThatThrownBy(() -> Tokenizer.load(temp)).isInstanceOf(BadInputException.class)
                .hasMessage("no such file (" + temp.resolve("tokenizer.json") + ")");
    }

    @Test
    void unknownTokenMissingFromTheVocabularyFailsWhenNeeded() throws IOException {
        Path f = file("{\"model\": {\"type\": \"BPE\", \"unk_token\": \"<unk>\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        Tokenizer tok = Tokenizer.load(f);
        assertThat(tok.encode("aa", false).ids()).containsExactly(0, 0);
        assertThatThrownBy(() -> tok.encode("ab", false)).isInstanceOf(BadInputException.class)
                .hasMessage("unk_token \"<unk>\" is not in the vocabulary (" + f + ": model.unk_token)");
    }

    @Test
    void specialTokensFromTokenizerConfig() throws IOException {
        Path folder = FixtureVectorsTest.FIXTURES.resolve("tokenizers").resolve("bytelevel-bpe");
        Tokenizer tok = Tokenizer.load(folder);
        SpecialTokens specials = SpecialTokens.load(folder, tok);
        assertThat(specials.bos()).hasValue(new SpecialTokens.Token("<|begin_of_text|>", 378));
        assertThat(specials.eos().orElseThrow().content()).isEqualTo("<|eot_id|>");
        assertThat(specials.eos().orElseThrow().id()).isEqualTo(tok.tokenToId("<|eot_id|>").orElseThrow());
        assertThat(specials.pad().orElseThrow().content()).isEqualTo("<|pad|>");
        assertThat(specials.unk()).isEmpty();

        Path config = temp.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"bos_token\": {\"content\": \"<|eot_id|>\", \"lstrip\": false}, \"eos_token\": \"<none>\"}");
        assertThatThrownBy(() -> SpecialTokens.load(config, tok)).isInstanceOf(BadInputException.class)
                .hasMessage("token \"<none>\" is not in the tokenizer's vocabulary (" + config + ": eos_token)");
        Files.writeString(config, "{\"bos_token\": {\"content\": \"<|eot_id|>\", \"lstrip\": false}, \"eos_token\": null}");
        assertThat(SpecialTokens.load(config, tok).bos().orElseThrow().content()).isEqualTo("<|eot_id|>");
        assertThat(SpecialTokens.load(temp.resolve("absent"), tok)).isEqualTo(SpecialTokens.none());
    }
}
