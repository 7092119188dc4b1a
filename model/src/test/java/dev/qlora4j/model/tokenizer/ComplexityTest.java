package dev.qlora4j.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encoding work grows linearly with the input. Measured by counting the merge loop's heap
 * operations (not by timing): doubling the input must roughly double them.
 */
class ComplexityTest {
    @TempDir
    Path temp;

    /** No pre-tokenizer: a run of one letter is a single word of n symbols. */
    private Tokenizer runTokenizer() throws Exception {
        Path file = temp.resolve("runs.json");
        Files.writeString(file, """
                {"version": "1.0", "added_tokens": [], "normalizer": null, "pre_tokenizer": null,
                 "post_processor": null, "decoder": null,
                 "model": {"type": "BPE", "vocab": {"a": 0, "aa": 1, "aaaa": 2, "aaaaaaaa": 3, "1": 4, "12": 5, "2": 6},
                           "merges": [["a", "a"], ["aa", "aa"], ["aaaa", "aaaa"], ["1", "2"]]}}
                """);
        return Tokenizer.load(file);
    }

    private static long steps(Tokenizer tok, String text) {
        long before = tok.mergeSteps();
        tok.encode(text, false);
        return tok.mergeSteps() - before;
    }

    @Test
    void longRunOfOneLetterMergesInLinearWork() throws Exception {
        Tokenizer tok = runTokenizer();
        String run = "a".repeat(100_000);
        // merges apply lowest rank first, leftmost first: a+a everywhere, then aa+aa, then aaaa+aaaa
        Encoding e = tok.encode(run, false);
        assertThat(e.size()).isEqualTo(100_000 / 8);
        assertThat(e.ids()).containsOnly(3);

        long once = steps(tok, run);
        long twice = steps(tok, run + run);
        assertThat((double) twice / once).isBetween(1.8, 2.2);
    }

    @Test
    void longDigitRunMergesInLinearWork() throws Exception {
        Tokenizer tok = runTokenizer();
        String digits = "12".repeat(50_000);
        assertThat(tok.encode(digits, false).ids()).hasSize(50_000).containsOnly(5);
        long once = steps(tok, digits);
        long twice = steps(tok, digits + digits);
        assertThat((double) twice / once).isBetween(1.8, 2.2);
    }

    @Test
    void megabyteOfMixedTextEncodesInLinearWorkAndRoundTrips() {
        String half = mixedText(500_000, 1);
        String full = half + mixedText(500_000, 2);
        long once = steps(FixtureVectorsTest.load("bytelevel-bpe"), half);
        Tokenizer tok = FixtureVectorsTest.load("bytelevel-bpe");
        long twice = steps(tok, full);
        assertThat(once).isPositive();
        // the word cache makes the second half cheaper, never dearer
        assertThat((double) twice / once).isBetween(1.0, 2.3);
        assertThat(tok.decode(tok.encode(full, false).ids(), false)).isEqualTo(full);
    }

    @Test
    void longWhitespaceRunsSplitWithoutBacktrackingBlowUp() {
        Tokenizer tok = FixtureVectorsTest.load("bytelevel-bpe");
        String text = " ".repeat(200_000) + "x" + "\n ".repeat(100_000) + "y" + "\t".repeat(100_000);
        assertThat(tok.decode(tok.encode(text, false).ids(), false)).isEqualTo(text);
    }

    /** English words and Japanese phrases, as TokenizerBench uses. */
    static String mixedText(int chars, long seed) {
        String[] en = {"the", "question", "is", "what", "justice", "means", "when", "we", "speak", "of", "it", "and",
                "why", "Socrates", "asked", "1999", "42", "code()", "x += 1;", "don't", "they're"};
        String[] ja = {"日本語の", "文章です。", "幸せとは", "何ですか？", "ソクラテス式の", "対話", "なぜ", "そう考えるのですか？"};
        Random rnd = new Random(seed);
        StringBuilder sb = new StringBuilder(chars + 32);
        while (sb.length() < chars) {
            if (rnd.nextInt(3) == 0) {
                sb.append(ja[rnd.nextInt(ja.length)]);
            } else {
                sb.append(en[rnd.nextInt(en.length)]).append(rnd.nextInt(12) == 0 ? "\n" : " ");
            }
        }
        return sb.toString();
    }
}
