package dev.qlora4j.model.generate;

/**
 * Where {@link TokenGenerator} runs the model: positions fed so far are cached (keys and values),
 * new tokens continue them. The CPU's is {@link KvCacheDecoder}; the GPU backend has its own.
 */
public interface Decoder {
    /** Positions held without growing (0 before the first {@link #ensureCapacity}). */
    int capacity();

    /** Makes room for at least {@code positions} positions, keeping the cached ones. */
    void ensureCapacity(int positions);

    /** Keeps the first {@code keep} cached positions, forgets the rest. */
    void truncate(int keep);

    /** Feeds tokens after the cached positions (which then include them); the logits [vocab] of the last. */
    float[] feed(int[] tokens);
}
