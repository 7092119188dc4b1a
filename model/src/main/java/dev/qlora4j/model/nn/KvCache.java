package dev.qlora4j.model.nn;

import dev.qlora4j.tensor.Tensor;

/**
 * Keys and values of every layer for the positions seen so far, so that generation feeds one new
 * token per step instead of the whole sequence. Storage is allocated for {@code capacity}
 * positions up front ([B, Hkv, capacity, D] per layer); a step appends its keys and values and
 * attends to the filled prefix.
 */
public final class KvCache {
    private final Tensor[] keys, values;
    private final int batch, kvHeads, headDim, capacity;
    private int length;

    public KvCache(int layers, int batch, int kvHeads, int headDim, int capacity) {
        this.batch = batch;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (int i = 0; i < layers; i++) {
            keys[i] = Tensor.zeros(batch, kvHeads, capacity, headDim);
            values[i] = Tensor.zeros(batch, kvHeads, capacity, headDim);
        }
    }

    /** Positions already in the cache: the position of the next token fed. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Clears the cache (a new conversation). */
    public void reset() {
        length = 0;
    }

    /**
     * Keeps only the first {@code keep} positions, so that a prompt sharing that prefix with what
     * the cache holds (the next turn of a chat) feeds only the rest. Later appends overwrite the
     * dropped positions.
     */
    public void truncate(int keep) {
        if (keep < 0 || keep > length) throw new IllegalArgumentException("cannot keep " + keep + " of " + length + " cached positions");
        length = keep;
    }

    /** A cache with room for {@code newCapacity} positions that holds this one's positions (a conversation outgrew it). */
    public KvCache grown(int newCapacity) {
        if (newCapacity < length) throw new IllegalArgumentException("capacity " + newCapacity + " < " + length + " cached positions");
        KvCache bigger = new KvCache(keys.length, batch, kvHeads, headDim, newCapacity);
        for (int i = 0; i < keys.length; i++) {
            bigger.keys[i].narrow(2, 0, length).copyFrom(keys[i].narrow(2, 0, length));
            bigger.values[i].narrow(2, 0, length).copyFrom(values[i].narrow(2, 0, length));
        }
        bigger.length = length;
        return bigger;
    }

    /**
     * Writes this step's k and v [B, Hkv, T, D] of {@code layer} at the current length and returns
     * the keys and values of all positions so far, [B, Hkv, length + T, D] each.
     */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        int t = k.size(2);
        if (length + t > capacity)
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " positions > capacity " + capacity);
        keys[layer].narrow(2, length, t).copyFrom(k);
        values[layer].narrow(2, length, t).copyFrom(v);
        return new Tensor[]{keys[layer].narrow(2, 0, length + t), values[layer].narrow(2, 0, length + t)};
    }

    /** Called once per forward step, after every layer appended. */
    void advance(int t) {
        length += t;
    }
}
