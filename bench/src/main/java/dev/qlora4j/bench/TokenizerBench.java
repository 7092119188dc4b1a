package dev.qlora4j.bench;

import dev.qlora4j.model.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding throughput of the two fixture tokenizer kinds (fixtures/hf/tokenizers: a Llama-3-style
 * byte-level BPE and a Gemma-style SentencePiece BPE) on about 1 MB of generated English and
 * Japanese text, one thread. One operation encodes the whole text; the {@code tokens} counter
 * gives tokens/s. The word cache is warm after the first operation, as in long-running use.
 * Run from the repository root (or set -Dqlora4j.fixtures=path/to/fixtures).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class TokenizerBench {
    @Param({"bytelevel-bpe", "sentencepiece-bpe"})
    public String kind;

    private Tokenizer tokenizer;
    private String text;

    @Setup
    public void setup() {
        Path fixtures = Path.of(System.getProperty("qlora4j.fixtures", "fixtures"));
        if (!Files.isDirectory(fixtures)) {
            fixtures = Path.of("..", "fixtures");
        }
        tokenizer = Tokenizer.load(fixtures.resolve("hf").resolve("tokenizers").resolve(kind));
        text = mixedText(1_000_000, 1);
    }

    @Benchmark
    public int encode(TokenCounters counters) {
        int n = tokenizer.encode(text, false).size();
        counters.tokens += n;
        return n;
    }

    /** English words and Japanese phrases with spaces, punctuation, numbers and newlines. */
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
