package dev.qlora4j.model.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge loop of one word, as upstream's {@code Word::merge_all}: the symbols form a linked
 * list, and a min-heap holds candidate merges ordered by (rank, position). The best candidate is
 * popped; if the pair at its position still merges into the same token it is applied, and the
 * new pairs with the left and right neighbours are pushed. Each merge costs O(log n), so a word of
 * n symbols takes O(n log n) whatever its content (a 100k-character run included).
 * Not thread-safe: each encoding thread uses its own instance.
 */
final class BpeMerger {
    private int[] ids = new int[64];
    private int[] prev = new int[64];
    private int[] next = new int[64];
    private boolean[] removed = new boolean[64];
    private int length;

    // the heap: key = rank << 32 | position, with the merged id alongside
    private long[] heapKeys = new long[64];
    private int[] heapIds = new int[64];
    private int heapSize;

    /** Heap operations (pushes and pops) since creation: the merge loop's work, for complexity tests. */
    long steps;

    void reset() {
        length = 0;
        heapSize = 0;
    }

    void add(int id) {
        if (length == ids.length) {
            int cap = length * 2;
            ids = Arrays.copyOf(ids, cap);
            prev = Arrays.copyOf(prev, cap);
            next = Arrays.copyOf(next, cap);
            removed = Arrays.copyOf(removed, cap);
        }
        ids[length] = id;
        prev[length] = length - 1;
        next[length] = -1;
        removed[length] = false;
        if (length > 0) {
            next[length - 1] = length;
        }
        length++;
    }

    /** Applies the merges; afterwards {@link #result()} gives the ids left. */
    void mergeAll(MergeTable merges) {
        for (int i = 0; i + 1 < length; i++) {
            long m = merges.get(ids[i], ids[i + 1]);
            if (m >= 0) {
                push(MergeTable.rank(m), i, MergeTable.mergedId(m));
            }
        }
        while (heapSize > 0) {
            long top = heapKeys[0];
            int newId = heapIds[0];
            pop();
            int pos = (int) top;
            if (removed[pos] || next[pos] < 0) {
                continue;
            }
            int right = next[pos];
            long current = merges.get(ids[pos], ids[right]);
            if (current < 0 || MergeTable.mergedId(current) != newId) {
                continue; // stale: a neighbour changed since this candidate was pushed
            }
            ids[pos] = newId;
            next[pos] = next[right];
            removed[right] = true;
            if (next[right] >= 0) {
                prev[next[right]] = pos;
            }
            if (prev[pos] >= 0) {
                int left = prev[pos];
                long m = merges.get(ids[left], newId);
                if (m >= 0) {
                    push(MergeTable.rank(m), left, MergeTable.mergedId(m));
                }
            }
            if (next[pos] >= 0) {
                long m = merges.get(newId, ids[next[pos]]);
                if (m >= 0) {
                    push(MergeTable.rank(m), pos, MergeTable.mergedId(m));
                }
            }
        }
    }

    int[] result() {
        int n = 0;
        for (int i = 0; i < length; i++) {
            if (!removed[i]) {
                n++;
            }
        }
        int[] out = new int[n];
        n = 0;
        for (int i = 0; i < length; i++) {
            if (!removed[i]) {
                out[n++] = ids[i];
            }
        }
        return out;
    }

    private void push(int rank, int pos, int newId) {
        steps++;
        if (heapSize == heapKeys.length) {
            heapKeys = Arrays.copyOf(heapKeys, heapSize * 2);
            heapIds = Arrays.copyOf(heapIds, heapSize * 2);
        }
        long key = ((long) rank << 32) | pos;
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heapKeys[parent] <= key) {
                break;
            }
            heapKeys[i] = heapKeys[parent];
            heapIds[i] = heapIds[parent];
            i = parent;
        }
        heapKeys[i] = key;
        heapIds[i] = newId;
    }

    private void pop() {
        steps++;
        heapSize--;
        if (heapSize == 0) {
            return;
        }
        long key = heapKeys[heapSize];
        int id = heapIds[heapSize];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize && heapKeys[child + 1] < heapKeys[child]) {
                child++;
            }
            if (heapKeys[child] >= key) {
                break;
            }
            heapKeys[i] = heapKeys[child];
            heapIds[i] = heapIds[child];
            i = child;
        }
        heapKeys[i] = key;
        heapIds[i] = id;
    }
}
