package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class PackingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Example example(int id, int... tokens) {
        return Example.causal("row " + id, id, tokens);
    }

    /** TRL's own example (pack_dataset's docstring): [[1,2,3],[4,5],[6,7,8],[9]] at 4 → [1,2,3,9], [6,7,8], [4,5]. */
    @Test
    void bfdPacksTrlsDocumentedExampleAsTrlDoes() {
        List<Example> packs = Packing.pack(List.of(example(0, 1, 2, 3), example(1, 4, 5), example(2, 6, 7, 8), example(3, 9)), 4,
                Packing.Strategy.BFD);
        assertThat(packs).extracting(Example::inputIds).containsExactly(new int[]{1, 2, 3, 9}, new int[]{6, 7, 8}, new int[]{4, 5});
        assertThat(packs).extracting(Example::sequences).containsExactly(new int[]{3, 1}, new int[]{3}, new int[]{2});
        // the first token of each sequence is never a target
        assertThat(packs.getFirst().labels()).containsExactly(Example.IGNORE, 2, 3, Example.IGNORE);
    }

    @Test
    void wrappedConcatenatesAndCutsAsTrlDoes() {
        List<Example> packs = Packing.pack(List.of(example(0, 1, 2, 3), example(1, 4, 5), example(2, 6, 7, 8), example(3, 9)), 4,
                Packing.Strategy.WRAPPED);
        assertThat(packs).extracting(Example::inputIds).containsExactly(new int[]{1, 2, 3, 4}, new int[]{5, 6, 7, 8}, new int[]{9});
        assertThat(packs).extracting(Example::sequences).containsExactly(new int[]{4}, new int[]{4}, new int[]{1});
    }

    @Test
    void bfdTruncatesEachSequenceToTheCapacity() {
        List<Example> packs = Packing.pack(List.of(example(0, 1, 2, 3, 4, 5, 6), example(1, 7)), 4, Packing.Strategy.BFD);
        assertThat(packs).extracting(Example::inputIds).containsExactly(new int[]{1, 2, 3, 4}, new int[]{7});
    }

    /** The assignment equals trl_bfd.py (TRL's algorithm, its segment tree and FIFOs) on random lengths with many ties. */
    @ParameterizedTest
    @ValueSource(ints = {16, 64, 1024, 2048})
    void bfdAssignmentEqualsTrlsAlgorithm(int capacity) throws Exception {
        Random random = new Random(capacity);
        for (int trial = 0; trial < 20; trial++) {
            int[] lengths = new int[1 + random.nextInt(400)];
            for (int i = 0; i < lengths.length; i++)
                lengths[i] = 1 + (int) Math.min(capacity - 1, Math.exp(Math.log(capacity / 4.0) + random.nextGaussian()));
            List<List<Integer>> want = trl(lengths, capacity);
            assertThat(Packing.bestFitDecreasing(lengths, capacity)).as("trial " + trial).isEqualTo(want);
        }
    }

    private static List<List<Integer>> trl(int[] lengths, int capacity) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("python3", Path.of("src", "test", "resources", "packing", "trl_bfd.py").toString()).start();
        } catch (IOException e) {
            assumeThat(false).as("python3 is not installed here").isTrue();
            throw e;
        }
        try (var os = p.getOutputStream()) {
            os.write(JSON.writeValueAsBytes(Map.of("capacity", capacity, "lengths", lengths)));
        }
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes())).isZero();
        return JSON.readValue(out, JSON.getTypeFactory().constructCollectionType(List.class,
                JSON.getTypeFactory().constructCollectionType(List.class, Integer.class)));
    }
}
