package dev.qlora4j.model.generate;

import dev.qlora4j.model.nn.KvCache;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.Tensor;

/** The CPU decoder: the model's forward over new tokens with a {@link KvCache} of earlier positions. */
public final class KvCacheDecoder implements Decoder {
    private final Transformer model;
    private KvCache cache;

    public KvCacheDecoder(Transformer model) {
        this.model = model;
    }

    @Override
    public int capacity() {
        return cache == null ? 0 : cache.capacity();
    }

    @Override
    public void ensureCapacity(int positions) {
        if (cache == null) cache = model.newCache(1, positions);
        else if (cache.capacity() < positions) cache = cache.grown(positions);
    }

    @Override
    public void truncate(int keep) {
        if (cache != null) cache.truncate(keep);
    }

    @Override
    public float[] feed(int[] tokens) {
        try (var ignored = Tensor.noGrad()) {
            Tensor h = model.hidden(Tensor.ofInts(tokens, 1, tokens.length), null, cache);
            return model.lmLogits(h.narrow(1, tokens.length - 1, 1)).toFloatArray();
        }
    }
}
