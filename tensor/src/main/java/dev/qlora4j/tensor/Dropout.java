package dev.qlora4j.tensor;

/**
 * Inverted dropout: in training each element is zeroed with probability p and the survivors are
 * scaled by 1/(1−p); the mask comes from a seeded {@link Generator}, so a run is reproducible.
 */
public final class Dropout {
    private Dropout() {}

    // x [..] → x ⊙ mask / (1 − p)
    public static Tensor apply(Tensor x, float p, Generator gen, boolean training) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1): " + p);
        if (!training || p == 0f) return x;
        int n = Math.toIntExact(x.numel());
        float keepScale = 1f / (1f - p);
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) mask[i] = gen.nextFloat() >= p ? keepScale : 0f;
        Tensor m = Tensor.of(mask, x.shape);
        Tensor out = Arith.compute(Arith.Op.MUL, x, m);
        return Autograd.record(out, "dropout", (g, needs) -> new Tensor[]{Arith.compute(Arith.Op.MUL, g, m)}, x);
    }
}
