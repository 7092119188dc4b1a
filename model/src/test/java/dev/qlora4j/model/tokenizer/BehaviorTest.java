package dev.qlora4j.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single behaviors of tokenizers 0.23 on tiny hand-made tokenizer.json files. Each expectation
 * follows from the cited upstream source (huggingface/tokenizers, tokenizers/src/...); all of
 * them were also confirmed by running the same files through the library (npm tokenizers@0.23.2).
 */
class BehaviorTest {
    @TempDir
    Path temp;

    private int files;

    private Tokenizer tokenizer(String normalizer, String preTokenizer, String addedTokens, String model) throws IOException {
        Path file = temp.resolve("t" + files++ + ".json");
        Files.writeString(file, """
                {"version": "1.0", "added_tokens": %s, "normalizer": %s, "pre_tokenizer": %s,
                 "post_processor": null, "decoder": null, "model": %s}
                """.formatted(addedTokens, normalizer, preTokenizer, model));
        return Tokenizer.load(file);
    }

    private static String bpe(String vocab, String merges, String options) {
        return """
                {"type": "BPE", "vocab": {%s}, "merges": [%s]%s}""".formatted(vocab, merges, options);
    }

    private static final String HELLO_VOCAB = "\"h\": 0, \"e\": 1, \"l\": 2, \"o\": 3, \"he\": 4, \"ll\": 5, \"llo\": 6, \"hello\": 7";
    // "hello" is in the vocabulary but no merge chain builds it: the merges stop at he + llo
    private static final String HELLO_MERGES = "\"h e\", \"l l\", \"ll o\"";

    @Test
    void ignoreMergesEmitsAWordThatIsInTheVocabularyAsOneToken() throws IOException {
        // models/bpe/model.rs tokenize_with_cache: with ignore_merges the whole word is looked up first
        Tokenizer plain = tokenizer("null", "null", "[]", bpe(HELLO_VOCAB, HELLO_MERGES, ""));
        Tokenizer ignoring = tokenizer("null", "null", "[]", bpe(HELLO_VOCAB, HELLO_MERGES, ", \"ignore_merges\": true"));
        assertThat(plain.encode("hello", false).ids()).containsExactly(4, 6);
        assertThat(ignoring.encode("hello", false).ids()).containsExactly(7);
        assertThat(ignoring.encode("hell", false).ids()).containsExactly(4, 5);
    }

    @Test
    void mergesApplyByRankNotByPosition() throws IOException {
        // models/bpe/word.rs merge_all: the queue pops the lowest rank first, leftmost on ties
        Tokenizer tok = tokenizer("null", "null", "[]",
                bpe("\"a\": 0, \"b\": 1, \"ab\": 2, \"bb\": 3", "\"b b\", \"a b\"", ""));
        assertThat(tok.encode("abb", false).tokens()).containsExactly("a", "bb");
        assertThat(tok.encode("abbb", false).tokens()).containsExactly("a", "bb", "b");
    }

    @Test
    void prependAndReplaceNormalizeEachPieceBetweenAddedTokens() throws IOException {
        // normalizers/prepend.rs prepends to every non-empty piece; added_vocabulary.rs
        // extract_and_normalize normalizes the pieces between non-normalized added tokens separately
        String normalizer = """
                {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                  {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}""";
        String added = """
                [{"id": 9, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                  "normalized": false, "special": true}]""";
        Tokenizer tok = tokenizer(normalizer, "null", added,
                bpe("\"▁\": 0, \"H\": 1, \"i\": 2, \"▁H\": 3, \"▁Hi\": 4", "\"▁ H\", \"▁H i\"", ""));
        assertThat(tok.encode("Hi Hi", false).tokens()).containsExactly("▁Hi", "▁Hi");
        assertThat(tok.encode("<s>Hi", false).tokens()).containsExactly("<s>", "▁Hi");
        // the added token keeps the model's vocabulary size as its id, not the 9 written in the file
        assertThat(tok.encode("<s>", false).ids()).containsExactly(5);
    }

    @Test
    void lstripAndRstripTakeTheWhitespaceBesideAnAddedToken() throws IOException {
        // added_vocabulary.rs find_matches: lstrip extends the match over the whitespace on its
        // left, rstrip over the whitespace on its right; the token's string is the matched text
        String added = """
                [{"id": 0, "content": "<m>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
                 {"id": 1, "content": "<r>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": true}]""";
        Tokenizer tok = tokenizer("null", "null", added, bpe("\"a\": 0, \" \": 1", "", ""));
        assertThat(tok.encode("a  <m> a", false).tokens()).containsExactly("a", "  <m>", " ", "a");
        assertThat(tok.encode("a <r>  a", false).tokens()).containsExactly("a", " ", "<r>  ", "a");
        assertThat(tok.encode("a <r>  a", false).ids()).containsExactly(0, 1, 3, 0);
    }

    @Test
    void singleWordTokensMatchOnlyWhenNoWordCharacterTouchesThem() throws IOException {
        // added_vocabulary.rs find_matches: single_word drops a match preceded or followed by \w
        String added = """
                [{"id": 0, "content": "ab", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": false}]""";
        Tokenizer tok = tokenizer("null", "null", added, bpe("\"a\": 0, \"b\": 1, \"x\": 2, \" \": 3", "", ""));
        assertThat(tok.encode("ab", false).ids()).containsExactly(4);
        assertThat(tok.encode("xab", false).ids()).containsExactly(2, 0, 1);
        assertThat(tok.encode("x ab", false).ids()).containsExactly(2, 3, 4);
    }

    @Test
    void digitsIsolatesEachDigitOrKeepsRunsTogether() throws IOException {
        // pre_tokenizers/digits.rs: individual_digits uses Isolated, otherwise Contiguous
        String model = bpe("\"1\": 0, \"2\": 1, \"12\": 2, \"a\": 3", "\"1 2\"", "");
        Tokenizer single = tokenizer("null", "{\"type\": \"Digits\", \"individual_digits\": true}", "[]", model);
        Tokenizer runs = tokenizer("null", "{\"type\": \"Digits\", \"individual_digits\": false}", "[]", model);
        assertThat(single.encode("a12a", false).tokens()).containsExactly("a", "1", "2", "a");
        assertThat(runs.encode("a12a", false).tokens()).containsExactly("a", "12", "a");
    }

    @Test
    void nfcComposesBeforeTheModelSeesTheText() throws IOException {
        // normalizers/unicode.rs NFC: e + U+0301 becomes é
        Tokenizer tok = tokenizer("{\"type\": \"NFC\"}", "null", "[]", bpe("\"é\": 0, \"e\": 1, \"\u0301\": 2", "", ""));
        assertThat(tok.encode("e\u0301", false).ids()).containsExactly(0);
    }

    @Test
    void metaspaceFirstPrependsOnlyAtTheStartOfTheInput() throws IOException {
        // pre_tokenizers/metaspace.rs: "first" prepends only to a piece whose original offset is 0;
        // the piece after an added token starts later
        String added = """
                [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}]""";
        String model = bpe("\"▁\": 0, \"H\": 1, \"▁H\": 2", "\"▁ H\"", "");
        Tokenizer first = tokenizer("null",
                "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"first\", \"split\": false}", added, model);
        Tokenizer always = tokenizer("null",
                "{\"type\": \"Metaspace\", \"replacement\": \"▁\", \"prepend_scheme\": \"always\", \"split\": false}", added, model);
        assertThat(first.encode("H", false).tokens()).containsExactly("▁H");
        assertThat(first.encode("<s>H", false).tokens()).containsExactly("<s>", "H");
        assertThat(always.encode("<s>H", false).tokens()).containsExactly("<s>", "▁H");
    }

    @Test
    void byteFallbackSpellsUnknownCharactersAsBytesAndUnknownsFuse() throws IOException {
        // models/bpe/model.rs merge_word: byte_fallback uses <0xNN> when every byte has a token;
        // otherwise the unk token, consecutive ones fused into one with fuse_unk
        String vocab = "\"<unk>\": 0, \"a\": 1, \"<0xE2>\": 2, \"<0x98>\": 3, \"<0x83>\": 4";
        Tokenizer fallback = tokenizer("null", "null", "[]",
                bpe(vocab, "", ", \"unk_token\": \"<unk>\", \"byte_fallback\": true, \"fuse_unk\": true"));
        assertThat(fallback.encode("a☃", false).ids()).containsExactly(1, 2, 3, 4);
        assertThat(fallback.encode("a😀😀a", false).ids()).containsExactly(1, 0, 1);
        Tokenizer unfused = tokenizer("null", "null", "[]", bpe(vocab, "", ", \"unk_token\": \"<unk>\""));
        assertThat(unfused.encode("a😀😀a", false).ids()).containsExactly(1, 0, 0, 1);
    }

    @Test
    void decodeSkipsSpecialTokensOnlyWhenAsked() throws IOException {
        // tokenizer/mod.rs decode: ids are mapped to tokens, special ones filtered out on request;
        // without a decoder the tokens are joined with spaces
        String added = """
                [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                 {"id": 1, "content": "<x>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false}]""";
        Tokenizer tok = tokenizer("null", "null", added, bpe("\"a\": 0", "", ""));
        int[] ids = tok.encode("<s>a<x>", false).ids();
        assertThat(ids).containsExactly(1, 0, 2);
        assertThat(tok.decode(ids, false)).isEqualTo("<s> a <x>");
        assertThat(tok.decode(ids, true)).isEqualTo("a <x>");
        assertThat(tok.isSpecial(1)).isTrue();
        assertThat(tok.isSpecial(2)).isFalse();
    }
}
