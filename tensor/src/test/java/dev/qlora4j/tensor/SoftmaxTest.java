package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SoftmaxTest {
    private final Generator g = new Generator(9);

    @Test
    void softmaxOverLastAndOtherDims() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 37)}, t -> t[0].softmax(-1),
                x -> Ref.of(x[0], 3, 37).softmaxLast().v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 4, 3, 2)}, t -> t[0].softmax(1),
                x -> Ref.of(x[0], 4, 3, 2).transpose(1, 2).softmaxLast().transpose(1, 2).v());
    }

    @Test
    void logSoftmaxOverLastAndOtherDims() {
        GradCheck.check(new Tensor[]{GradCheck.strided(g, 3, 37)}, t -> t[0].logSoftmax(-1),
                x -> Ref.of(x[0], 3, 37).softmaxLast().map(Math::log).v());
        GradCheck.check(new Tensor[]{GradCheck.param(g, 5, 2)}, t -> t[0].logSoftmax(0),
                x -> Ref.of(x[0], 5, 2).transpose(0, 1).softmaxLast().map(Math::log).transpose(0, 1).v());
    }

    @Test
    void stableForLargeLogitsAndMaskedEntries() {
        Tensor x = Tensor.of(new float[]{1000f, 1000f, Float.NEGATIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 2, 3);
        assertThat(x.softmax(-1).toFloatArray()).containsExactly(0.5f, 0.5f, 0f, 0f, 0f, 0f);
        float[] ls = x.logSoftmax(-1).toFloatArray();
        assertThat(ls[0]).isEqualTo((float) -Math.log(2));
        assertThat(ls[2]).isEqualTo(Float.NEGATIVE_INFINITY);
    }
}
