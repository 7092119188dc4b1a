package dev.qlora4j.tensor;

/** Row lookup of token ids in an embedding table; backward scatters (adds) into the table's rows. */
public final class Embedding {
    private Embedding() {}

    // weight [V, C], ids [..] (integer) → [.., C]
    public static Tensor lookup(Tensor weight, Tensor ids) {
        if (weight.rank() != 2) throw new IllegalArgumentException("embedding table must be 2-D: " + Shapes.str(weight.shape));
        if (ids.dtype.isFloatingPoint()) throw new IllegalArgumentException("token ids must be an integer tensor, not " + ids.dtype);
        int vocab = weight.shape[0], c = weight.shape[1];
        int[] rowsIdx = ids.toIntArray();
        for (int id : rowsIdx)
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab);
        int[] outShape = java.util.Arrays.copyOf(ids.shape, ids.rank() + 1);
        outShape[ids.rank()] = c;
        Tensor out = Tensor.zeros(outShape);
        try (var ignored = Autograd.noGrad()) {
            for (int r = 0; r < rowsIdx.length; r++)
                Views.copyInto(weight.select(0, rowsIdx[r]), out.view(rowsIdx.length, c).select(0, r));
        }
        return Autograd.record(out, "embedding", (g, needs) -> {
            Tensor gw = Tensor.zeros(vocab, c);
            Tensor gd = Arith.floatStorage(g).contiguous();
            float[] ga = gd.array(), wa = gw.array();
            int go = gd.arrayOffset();
            for (int r = 0; r < rowsIdx.length; r++)
                dev.qlora4j.tensor.cpu.VectorMath.axpy(1f, ga, go + r * c, wa, rowsIdx[r] * c, c);
            return new Tensor[]{Autograd.owned(gw), null};
        }, weight, ids);
    }
}
