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
    private final int capacity;
    private int length;

    public KvCache(int layers, int batch, int kvHeads, int headDim, int capacity) {
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
