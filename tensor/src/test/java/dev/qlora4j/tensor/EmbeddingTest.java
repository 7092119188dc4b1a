package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingTest {
    private final Generator g = new Generator(18);

    /** Rows of the [v, c] table picked by ids (row-major), in double. */
    private static double[] reference(double[] table, int c, int[] ids) {
        double[] o = new double[ids.length * c];
        for (int r = 0; r < ids.length; r++) System.arraycopy(table, ids[r] * c, o, r * c, c);
        return o;
    }

    @Test
    void repeatedIdsScatterAddTheirGradients() {
        int[] ids = {3, 0, 3, 1, 3, 4};
        for (Tensor idTensor : new Tensor[]{Tensor.ofInts(ids, 2, 3), Tensor.ofInts(ids, 2, 3).to(DType.I64)}) {
            GradCheck.check(new Tensor[]{GradCheck.strided(g, 5, 4)}, t -> Embedding.lookup(t[0], idTensor),
                    x -> reference(x[0], 4, ids));
            GradCheck.check(new Tensor[]{GradCheck.param(g, 5, 37)}, t -> Embedding.lookup(t[0], idTensor),
                    x -> reference(x[0], 37, ids));
        }
        Tensor w = Tensor.zeros(5, 2).requiresGrad(true);
        Embedding.lookup(w, Tensor.ofInts(ids, 6)).sum().backward();
        // row 3 is used three times, rows 0, 1, 4 once, row 2 never
        assertThat(w.grad().toFloatArray()).containsExactly(1, 1, 1, 1, 0, 0, 3, 3, 1, 1);
    }

    @Test
    void shapesAndStorage() {
        Tensor w = Tensor.arange(10).reshape(5, 2);
        Tensor out = Embedding.lookup(w, Tensor.ofInts(new int[]{4, 1, 0, 2}, 2, 2));
        assertThat(out.shape()).containsExactly(2, 2, 2);
        assertThat(out.toFloatArray()).containsExactly(8, 9, 2, 3, 0, 1, 4, 5);
        assertThat(Embedding.lookup(w, Tensor.vector(4f, 1f).to(DType.I64)).toFloatArray()).containsExactly(8, 9, 2, 3);
        assertThat(Embedding.lookup(w, Tensor.ofInts(new int[]{3})).shape()).containsExactly(2);   // a 0-d id
        assertThat(Embedding.lookup(w.to(DType.BF16), Tensor.ofInts(new int[]{2}, 1)).toFloatArray()).containsExactly(4, 5);
        // non-contiguous ids and table
        Tensor ids = Tensor.ofInts(new int[]{0, 1, 2, 3}, 2, 2).t();   // [[0, 2], [1, 3]]
        assertThat(Embedding.lookup(w, ids).toFloatArray()).containsExactly(0, 1, 4, 5, 2, 3, 6, 7);
        Tensor wt = Tensor.arange(10).reshape(2, 5).t();                  // [5, 2], column-major
        assertThat(Embedding.lookup(wt, Tensor.ofInts(new int[]{1, 4}, 2)).toFloatArray()).containsExactly(1, 6, 4, 9);
        // the output is fresh storage, not a view of the table
        out.set(-1f, 0, 0, 0);
        assertThat(w.get(4, 0)).isEqualTo(8f);
        assertThat(Embedding.lookup(w, Tensor.ofInts(new int[0], 0)).shape()).containsExactly(0, 2);
    }

    @Test
    void badIdsAreRejected() {
        Tensor w = Tensor.zeros(5, 2);
        assertThatThrownBy(() -> Embedding.lookup(w, Tensor.ofInts(new int[]{1, 5}, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 5").hasMessageContaining("5");
        assertThatThrownBy(() -> Embedding.lookup(w, Tensor.ofInts(new int[]{-1}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id -1");
        Tensor big = Tensor.zeros(DType.I64, 1);
        big.setLong(5, 0);
        assertThatThrownBy(() -> Embedding.lookup(w, big)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Embedding.lookup(w, Tensor.vector(1f)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("integer");
        assertThatThrownBy(() -> Embedding.lookup(Tensor.zeros(5), Tensor.ofInts(new int[]{1}, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2-D");
    }
}
