package dev.qlora4j.model.generate;

import dev.qlora4j.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TextStreamerTest {
    private static final Path TOKENIZERS = Path.of("..", "fixtures", "hf", "tokenizers");

    private static List<String> stream(Tokenizer tok, int[] ids, boolean skipSpecial) {
        List<String> pieces = new ArrayList<>();
        TextStreamer s = new TextStreamer(tok, skipSpecial, pieces::add);
        for (int id : ids) s.accept(id);
        s.finish();
        assertThat(String.join("", pieces)).isEqualTo(tok.decode(ids, skipSpecial));
        return pieces;
    }

    @Test
    void aCharacterSplitOverByteFallbackTokensComesOutWhole() {
        Tokenizer tok = Tokenizer.load(TOKENIZERS.resolve("sentencepiece-bpe"));
        // "ж" is not in the tiny vocabulary: byte fallback gives <0xD0> <0xB6>
        int[] ids = tok.encode("aж!", false).ids();
        assertThat(ids).contains(tok.tokenToId("<0xD0>").orElseThrow(), tok.tokenToId("<0xB6>").orElseThrow());
        List<String> pieces = stream(tok, ids, false);
        assertThat(pieces).allSatisfy(p -> assertThat(p).doesNotContain("\uFFFD"));
        assertThat(pieces).anySatisfy(p -> assertThat(p).contains("ж"));
    }

    @Test
    void byteLevelMultiByteCharactersToo() {
        Tokenizer tok = Tokenizer.load(TOKENIZERS.resolve("bytelevel-bpe"));
        int[] ids = tok.encode("幸せ 한ж ok", false).ids();
        // the tiny vocabulary has no merges for Hangul or Cyrillic: some tokens hold only part of a character
        assertThat(java.util.Arrays.stream(ids).mapToObj(id -> tok.decode(new int[]{id}, false))).anyMatch(t -> t.contains("\uFFFD"));
        List<String> pieces = stream(tok, ids, false);
        assertThat(pieces).allSatisfy(p -> assertThat(p).doesNotContain("\uFFFD"));
        assertThat(pieces.size()).isGreaterThan(1);
    }

    @Test
    void specialTokensCanBeLeftOut() {
        Tokenizer tok = Tokenizer.load(TOKENIZERS.resolve("bytelevel-bpe"));
        int[] ids = tok.encode("Hi<|eot_id|>", true).ids();
        assertThat(String.join("", stream(tok, ids, true))).isEqualTo("Hi");
        assertThat(String.join("", stream(tok, ids, false))).isEqualTo("<|begin_of_text|>Hi<|eot_id|>");
    }

    @Test
    void anUnfinishedCharacterIsFlushedAtTheEnd() {
        Tokenizer tok = Tokenizer.load(TOKENIZERS.resolve("sentencepiece-bpe"));
        int first = tok.tokenToId("<0xC3>").orElseThrow();
        List<String> pieces = new ArrayList<>();
        TextStreamer s = new TextStreamer(tok, false, pieces::add);
        s.accept(first);
        assertThat(pieces).isEmpty();
        s.finish();
        assertThat(pieces).containsExactly("\uFFFD");
    }
}
