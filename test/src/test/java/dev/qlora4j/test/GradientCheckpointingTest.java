package dev.qlora4j.test;

import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Recomputing each decoder layer in backward gives the same gradients and keeps less memory. */
class GradientCheckpointingTest {
    private static final Path LLAMA = Fixture.ROOT.resolve("llama/model"), GEMMA = Fixture.ROOT.resolve("gemma2/model");

    private static Tensor batch(int vocab, int b, int t, long seed) {
        Generator g = new Generator(seed);
        int[] ids = new int[b * t];
        for (int i = 0; i < ids.length; i++) ids[i] = g.nextInt(vocab);
        return Tensor.ofInts(ids, b, t);
    }

    private static float[][] gradients(Path dir, boolean checkpointing) {
        try (Transformer model = Transformer.load(dir, true)) {
            model.setGradientCheckpointing(checkpointing);
            Tensor ids = batch(model.config().vocabSize(), 2, 24, 5);
            model.causalLmLoss(ids, null, ids, CrossEntropy.Reduction.MEAN).backward();
            List<Tensor> params = model.trainableParameters();
            float[][] grads = new float[params.size()][];
            for (int i = 0; i < grads.length; i++) grads[i] = params.get(i).grad().toFloatArray();
            return grads;
        }
    }

    @Test
    void sameGradientsWithAndWithoutCheckpointing() {
        for (Path dir : new Path[]{LLAMA, GEMMA}) {
            float[][] plain = gradients(dir, false), recomputed = gradients(dir, true);
            assertThat(recomputed.length).isEqualTo(plain.length);
            // the same ops on the same values; only the order in which a few gradient sums are
            // added can differ (llama: bitwise equal; gemma2: ~1e-7 of the largest entry)
            for (int i = 0; i < plain.length; i++) {
                double scale = 0;
                for (float v : plain[i]) scale = Math.max(scale, Math.abs(v));
                for (int j = 0; j < plain[i].length; j++)
                    assertThat((double) recomputed[i][j]).as(dir + " parameter " + i + "[" + j + "]")
                            .isCloseTo(plain[i][j], org.assertj.core.data.Offset.offset(1e-5 * scale));
            }
        }
    }

    /** Heap held by the autograd graph between forward and backward, in bytes. */
    private static long retainedByGraph(boolean checkpointing) {
        try (Transformer model = Transformer.load(LLAMA, true)) {
            model.setGradientCheckpointing(checkpointing);
            Tensor ids = batch(model.config().vocabSize(), 4, 192, 9);
            long before = usedAfterGc();
            Tensor loss = model.causalLmLoss(ids, null, ids, CrossEntropy.Reduction.MEAN);
            long during = usedAfterGc();
            loss.backward();   // keeps loss (and its graph) reachable until here
            return during - before;
        }
    }

    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    @Test
    void checkpointingKeepsMuchLessForBackward() {
        long plain = retainedByGraph(false), checkpointed = retainedByGraph(true);
        // without: every layer's attention probabilities [4, 4, 192, 192] and MLP activations;
        // with: the layer inputs [4, 192, 64] (the logits, kept by both, dominate what remains)
        assertThat(plain).isGreaterThan(8L << 20);
        assertThat(checkpointed).as("checkpointed %d vs plain %d bytes", checkpointed, plain).isLessThan(plain / 2);
    }
}
