package dev.qlora4j.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Llama-3-sized tokenizer.json (128k tokens, 280k merges) loads quickly and works. */
class LargeVocabularyTest {
    @TempDir
    Path temp;

    @Test
    void loadsA9MegabyteTokenizerJson() throws Exception {
        Path file = temp.resolve("tokenizer.json");
        SyntheticTokenizer.write(file, 128_000, 280_000);
        long bytes = Files.size(file);
        assertThat(bytes).isGreaterThan(7_000_000);

        Tokenizer.load(file); // warm the JIT and the file cache once
        long t0 = System.nanoTime();
        Tokenizer tok = Tokenizer.load(file);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("loaded %.1f MB tokenizer.json in %d ms%n", bytes / 1e6, ms);
        // a loose guard against pathological (quadratic) loading, not a benchmark: see TokenizerBench
        assertThat(ms).isLessThan(10_000);

        assertThat(tok.vocabSize()).isEqualTo(128_003);
        assertThat(tok.tokenToId("<|eot_id|>")).hasValue(128_002);
        String text = "Hello, world! 日本語のテキスト 12345 🙂<|eot_id|>";
        Encoding e = tok.encode(text, false);
        assertThat(e.ids()[e.size() - 1]).isEqualTo(128_002);
        assertThat(tok.decode(e.ids(), false)).isEqualTo(text);
    }
}
