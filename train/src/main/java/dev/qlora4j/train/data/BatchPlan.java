package dev.qlora4j.train.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The order in which training examples are seen, as micro-batches addressed by a global index,
 * so that a resumed run picks up exactly where it stopped. Epoch e visits the examples in
 * {@link #epochOrder(int)}: a permutation drawn from (seed, e) when shuffling (a fresh order each
 * epoch, like the Trainer's RandomSampler), file order otherwise. Micro-batches are consecutive
 * slices of that order; the last one of an epoch keeps the remainder, or is left out with
 * {@code dataloader_drop_last}.
 *
 * <p>With length grouping (HF's {@code group_by_length}, its LengthGroupedSampler) the epoch's
 * permutation is cut into mega-batches of {@code min(50, n / (4·b))} (at least 1) groups of
 * {@code b} = micro-batch × accumulation examples, each sorted by length, longest first (ties
 * keep their permuted order), and the longest example of all is swapped to the front, so that
 * micro-batches pad little and running out of memory happens at the first step if at all.
 *
 * <p>Optimizer steps group micro-batches as transformers' Trainer does: {@code ga} per step
 * within an epoch, never across an epoch boundary, the epoch's last step taking what is left.
 * Not thread-safe (it caches the current epoch's order).
 */
public final class BatchPlan {
    private final List<Example> examples;
    private final int microBatchSize;
    private final boolean shuffle;
    private final long seed;
    private final int lengthGroup;
    private final boolean dropLast;
    private int cachedEpoch = -1;
    private int[] cachedOrder;

    public BatchPlan(List<Example> examples, int microBatchSize, boolean shuffle, long seed) {
        this(examples, microBatchSize, shuffle, seed, 0, false);
    }

    /**
     * @param lengthGroup examples per optimizer step to group by length (micro-batch × accumulation); 0 = no grouping
     * @param dropLast    leave out each epoch's last micro-batch when it is not full (HF's dataloader_drop_last)
     */
    public BatchPlan(List<Example> examples, int microBatchSize, boolean shuffle, long seed, int lengthGroup, boolean dropLast) {
        if (lengthGroup < 0) throw new IllegalArgumentException("negative length group " + lengthGroup);
        if (dropLast && examples.size() < microBatchSize)
            throw dev.qlora4j.tensor.BadInputException.at("dataloader_drop_last", "leaves no batch: " + examples.size()
                    + " training examples, batches of " + microBatchSize);
        this.lengthGroup = lengthGroup;
        this.dropLast = dropLast;
        if (examples.isEmpty()) throw new IllegalArgumentException("no examples to batch");
        if (microBatchSize < 1) throw new IllegalArgumentException("micro batch size must be at least 1, got " + microBatchSize);
        this.examples = List.copyOf(examples);
        this.microBatchSize = microBatchSize;
        this.shuffle = shuffle;
        this.seed = seed;
    }

    public int examples() {
        return examples.size();
    }

    public int microBatchSize() {
        return microBatchSize;
    }

    /** ⌈examples / micro batch size⌉, or ⌊…⌋ when the last partial batch is dropped. */
    public int microBatchesPerEpoch() {
        return dropLast ? examples.size() / microBatchSize : Math.ceilDiv(examples.size(), microBatchSize);
    }

    /** ⌈micro-batches per epoch / ga⌉, the Trainer's update steps per epoch. */
    public int optimizerStepsPerEpoch(int gradientAccumulationSteps) {
        checkAccumulation(gradientAccumulationSteps);
        return Math.ceilDiv(microBatchesPerEpoch(), gradientAccumulationSteps);
    }

    /** Example indices in epoch {@code epoch}'s visiting order (a copy). */
    public int[] epochOrder(int epoch) {
        return order(epoch).clone();
    }

    /** The micro-batch at a global index. */
    public MicroBatch microBatch(long index) {
        if (index < 0) throw new IllegalArgumentException("negative micro-batch index " + index);
        int perEpoch = microBatchesPerEpoch();
        long epoch = index / perEpoch;
        if (epoch > Integer.MAX_VALUE) throw new IllegalArgumentException("micro-batch index " + index + " is beyond any epoch count");
        int inEpoch = (int) (index % perEpoch);
        int[] order = order((int) epoch);
        int from = inEpoch * microBatchSize, to = Math.min(order.length, from + microBatchSize);
        List<Example> batch = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) batch.add(examples.get(order[i]));
        return new MicroBatch(index, (int) epoch, inEpoch, batch);
    }

    /** The global index of the first micro-batch of optimizer step {@code step} (from 0). */
    public long firstMicroBatchOfStep(long step, int gradientAccumulationSteps) {
        int steps = optimizerStepsPerEpoch(gradientAccumulationSteps);
        if (step < 0) throw new IllegalArgumentException("negative step " + step);
        return (step / steps) * microBatchesPerEpoch() + (step % steps) * (long) gradientAccumulationSteps;
    }

    /** The micro-batches whose gradients optimizer step {@code step} (from 0) accumulates. */
    public List<MicroBatch> optimizerStep(long step, int gradientAccumulationSteps) {
        long first = firstMicroBatchOfStep(step, gradientAccumulationSteps);
        int perEpoch = microBatchesPerEpoch();
        long epochEnd = (first / perEpoch + 1) * perEpoch;
        long end = Math.min(first + gradientAccumulationSteps, epochEnd);
        List<MicroBatch> out = new ArrayList<>((int) (end - first));
        for (long i = first; i < end; i++) out.add(microBatch(i));
        return out;
    }

    /** Micro-batches in order from a global index, across epochs without end. */
    public Cursor cursor(long startIndex) {
        if (startIndex < 0) throw new IllegalArgumentException("negative micro-batch index " + startIndex);
        return new Cursor(startIndex);
    }

    /** A position in the endless sequence of micro-batches. */
    public final class Cursor {
        private long next;

        private Cursor(long next) {
            this.next = next;
        }

        /** The global index {@link #next()} returns next: save it to resume. */
        public long position() {
            return next;
        }

        public MicroBatch next() {
            return microBatch(next++);
        }
    }

    private int[] order(int epoch) {
        if (epoch != cachedEpoch) {
            cachedOrder = shuffle ? SeededOrder.permutation(examples.size(), seed, SeededOrder.EPOCH, epoch)
                    : identity(examples.size());
            if (lengthGroup > 0) cachedOrder = groupByLength(cachedOrder);
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    private int[] groupByLength(int[] permuted) {
        int n = permuted.length;
        int mult = Math.max(1, Math.min(50, n / (lengthGroup * 4)));
        int mega = mult * lengthGroup;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = permuted[i];
        int longestBlock = 0, longest = -1;
        for (int from = 0; from < n; from += mega) {
            int to = Math.min(n, from + mega);
            // Arrays.sort on objects is stable: equal lengths keep their permuted order, as Python's sorted
            Arrays.sort(order, from, to, (a, b) -> Integer.compare(examples.get(b).length(), examples.get(a).length()));
            int head = examples.get(order[from]).length();
            if (head > longest) {
                longest = head;
                longestBlock = from;
            }
        }
        Integer first = order[0];
        order[0] = order[longestBlock];
        order[longestBlock] = first;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = order[i];
        return out;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        Arrays.setAll(p, i -> i);
        return p;
    }

    private static void checkAccumulation(int ga) {
        if (ga < 1) throw new IllegalArgumentException("gradient accumulation steps must be at least 1, got " + ga);
    }
}
