package dev.qlora4j.train.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Epoch orders, micro-batch addressing, optimizer-step grouping and resume positioning. */
class BatchPlanTest {
    private static List<Example> examples(int n) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(Example.causal("row " + i, i, new int[]{i, i + 1}));
        return out;
    }

    private static List<Long> ids(MicroBatch mb) {
        return mb.examples().stream().map(Example::id).toList();
    }

    private static List<Example> ofLengths(int... lengths) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) out.add(Example.causal("row " + i, i, new int[lengths[i]]));
        return out;
    }

    @Test
    void dropLastLeavesOutEachEpochsPartialBatch() {
        BatchPlan plan = new BatchPlan(examples(10), 3, true, 4, 0, true);
        assertThat(plan.microBatchesPerEpoch()).isEqualTo(3);
        assertThat(plan.optimizerStepsPerEpoch(2)).isEqualTo(2);
        int[] order = plan.epochOrder(1);
        // epoch 1 starts at global micro-batch 3 with the order's first three examples; none is ever short
        assertThat(ids(plan.microBatch(3))).containsExactly((long) order[0], (long) order[1], (long) order[2]);
        for (long i = 0; i < 9; i++) assertThat(plan.microBatch(i).examples()).hasSize(3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BatchPlan(examples(2), 3, true, 4, 0, true))
                .hasMessage("leaves no batch: 2 training examples, batches of 3 (dataloader_drop_last)");
    }

    @Test
    void groupByLengthSortsMegaBatchesLongestFirstAndPutsTheLongestExampleFirst() {
        // 10 examples, 2 per step: min(50, 10 / 8) = 1 group per mega-batch, so pairs of the (here unshuffled) order
        BatchPlan plan = new BatchPlan(ofLengths(3, 5, 5, 1, 9, 2, 4, 4, 7, 8), 1, false, 0, 2, false);
        // pairs sorted longest first: [1 0] [2 3] [4 5] [6 7] (a tie keeps its order) [9 8]; then 4 (length 9) swaps with 1
        assertThat(plan.epochOrder(0)).containsExactly(4, 0, 2, 3, 1, 5, 6, 7, 9, 8);

        int[] lengths = new java.util.Random(3).ints(40, 1, 30).toArray();
        BatchPlan shuffled = new BatchPlan(ofLengths(lengths), 2, true, 11, 2, false);
        int[] permutation = new BatchPlan(ofLengths(lengths), 2, true, 11).epochOrder(1);
        int[] grouped = shuffled.epochOrder(1);
        // min(50, 40 / 8) = 5 groups: mega-batches of 10 permuted examples, each sorted, the longest of all first
        assertThat(lengths[grouped[0]]).isEqualTo(Arrays.stream(lengths).max().getAsInt());
        for (int from = 0; from < 40; from += 10) {
            int[] block = Arrays.copyOfRange(grouped, from, from + 10), expected = Arrays.copyOfRange(permutation, from, from + 10);
            assertThat(Arrays.stream(block).sorted().toArray()).isEqualTo(Arrays.stream(expected).sorted().toArray());
            // position 0 of block 0 and of the block that held the longest example were swapped
            for (int i = 2; i < 10; i++) assertThat(lengths[block[i - 1]]).isGreaterThanOrEqualTo(lengths[block[i]]);
        }
        assertThat(grouped).isNotEqualTo(shuffled.epochOrder(2)).isEqualTo(new BatchPlan(ofLengths(lengths), 2, true, 11, 2, false).epochOrder(1));
    }

    @Test
    void eachEpochIsASeededPermutationReproducibleFromSeedAndEpoch() {
        BatchPlan plan = new BatchPlan(examples(10), 3, true, 42);
        int[] identity = IntStream.range(0, 10).toArray();
        List<int[]> orders = new ArrayList<>();
        for (int e = 0; e < 4; e++) {
            int[] order = plan.epochOrder(e);
            assertThat(order.clone()).isNotEqualTo(identity);
            int[] sorted = order.clone();
            Arrays.sort(sorted);
            assertThat(sorted).containsExactly(identity);
            orders.add(order);
        }
        assertThat(orders.get(1)).isNotEqualTo(orders.get(0));
        assertThat(orders.get(2)).isNotEqualTo(orders.get(1));
        // a fresh plan (a resumed run) asked for epoch 2 first gives the same order
        assertThat(new BatchPlan(examples(10), 3, true, 42).epochOrder(2)).containsExactly(orders.get(2));
        assertThat(new BatchPlan(examples(10), 3, true, 43).epochOrder(0)).isNotEqualTo(orders.get(0));
        assertThat(new BatchPlan(examples(10), 3, false, 42).epochOrder(5)).containsExactly(identity);
    }

    @Test
    void microBatchesSliceTheEpochOrderWithTheRemainderLast() {
        BatchPlan plan = new BatchPlan(examples(10), 3, true, 1);
        assertThat(plan.microBatchesPerEpoch()).isEqualTo(4);
        for (int epoch = 0; epoch < 2; epoch++) {
            int[] order = plan.epochOrder(epoch);
            List<Long> seen = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                MicroBatch mb = plan.microBatch(epoch * 4L + k);
                assertThat(mb.epoch()).isEqualTo(epoch);
                assertThat(mb.indexInEpoch()).isEqualTo(k);
                assertThat(mb.examples()).hasSize(k < 3 ? 3 : 1);
                seen.addAll(ids(mb));
            }
            assertThat(seen).containsExactlyElementsOf(Arrays.stream(order).mapToObj(i -> (long) i).toList());
        }
        BatchPlan inOrder = new BatchPlan(examples(10), 4, false, 1);
        assertThat(ids(inOrder.microBatch(1))).containsExactly(4L, 5L, 6L, 7L);
        assertThat(ids(inOrder.microBatch(5))).containsExactly(8L, 9L);
    }

    @Test
    void optimizerStepsGroupMicroBatchesWithinAnEpochAsTheTrainerDoes() {
        BatchPlan plan = new BatchPlan(examples(10), 3, true, 5);   // 4 micro-batches per epoch
        assertThat(plan.optimizerStepsPerEpoch(3)).isEqualTo(2);
        assertThat(plan.optimizerStep(0, 3)).extracting(MicroBatch::index).containsExactly(0L, 1L, 2L);
        assertThat(plan.optimizerStep(1, 3)).extracting(MicroBatch::index).containsExactly(3L);
        assertThat(plan.optimizerStep(2, 3)).extracting(MicroBatch::index).containsExactly(4L, 5L, 6L);
        assertThat(plan.optimizerStep(3, 3)).extracting(MicroBatch::index).containsExactly(7L);
        assertThat(plan.firstMicroBatchOfStep(5, 3)).isEqualTo(11);
        assertThat(plan.optimizerStepsPerEpoch(4)).isEqualTo(1);
        assertThat(plan.optimizerStepsPerEpoch(1)).isEqualTo(4);
        assertThat(plan.optimizerStep(6, 1)).extracting(MicroBatch::index).containsExactly(6L);
    }

    @Test
    void aCursorPositionedAtKYieldsWhatIteratingKStepsWouldHaveYielded() {
        List<Example> data = examples(11);
        BatchPlan.Cursor fromStart = new BatchPlan(data, 2, true, 9).cursor(0);
        List<List<Long>> straight = new ArrayList<>();
        for (int i = 0; i < 40; i++) straight.add(ids(fromStart.next()));
        assertThat(fromStart.position()).isEqualTo(40);
        for (int k : new int[]{0, 1, 5, 6, 17, 23}) {
            BatchPlan.Cursor resumed = new BatchPlan(data, 2, true, 9).cursor(k);   // a new plan, as after a restart
            for (int i = k; i < 40; i++) {
                assertThat(resumed.position()).isEqualTo(i);
                assertThat(ids(resumed.next())).as("micro-batch %d resumed at %d", i, k).isEqualTo(straight.get(i));
            }
        }
    }
}
