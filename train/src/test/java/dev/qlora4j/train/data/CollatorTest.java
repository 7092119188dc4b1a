package dev.qlora4j.train.data;

import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Right padding to a multiple of 8, masks, ignored labels and label-token counts. */
class CollatorTest {
    private static final int PAD = 99, I = Example.IGNORE;

    @Test
    void causalRowsArePaddedToAMultipleOfEight() {
        Example a = Example.causal("a", 0, new int[]{1, 2, 3, 4, 5});
        Example b = Example.causal("b", 1, new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9}, new int[]{I, I, I, 4, 5, 6, 7, I, 9});
        PaddedBatch batch = Collator.causal(PAD, 8).collate(List.of(a, b));
        assertThat(batch.inputIds().shape()).containsExactly(2, 16);
        assertThat(batch.inputIds().dtype()).isEqualTo(DType.I32);
        assertThat(batch.inputIds().toIntArray()).containsExactly(
                1, 2, 3, 4, 5, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD, PAD,
                1, 2, 3, 4, 5, 6, 7, 8, 9, PAD, PAD, PAD, PAD, PAD, PAD, PAD);
        assertThat(batch.attentionMask().toIntArray()).containsExactly(
                1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0);
        assertThat(batch.labels().toIntArray()).containsExactly(
                1, 2, 3, 4, 5, I, I, I, I, I, I, I, I, I, I, I,
                I, I, I, 4, 5, 6, 7, I, 9, I, I, I, I, I, I, I);
        // positions 1..T−1 whose label is not ignored: 4 of a, 5 of b
        assertThat(batch.labelTokens()).isEqualTo(4 + 5);
        assertThat(batch.labelTokens()).isEqualTo(a.labelTokens() + b.labelTokens());
    }

    @Test
    void lengthsAlreadyAMultipleStayAndMultipleOneIsExact() {
        Example eight = Example.causal("a", 0, new int[]{1, 2, 3, 4, 5, 6, 7, 8});
        assertThat(Collator.causal(PAD, 8).collate(List.of(eight)).length()).isEqualTo(8);
        Example three = Example.causal("b", 0, new int[]{1, 2, 3});
        assertThat(Collator.causal(PAD, 1).collate(List.of(eight, three)).length()).isEqualTo(8);
        assertThat(Collator.causal(PAD, 1).collate(List.of(three)).length()).isEqualTo(3);
        assertThat(Collator.causal(PAD, 8).paddedLength(17)).isEqualTo(24);
    }

    @Test
    void classifierBatchesCarryOneClassPerRow() {
        Example a = Example.classification("a", 0, new int[]{1, 2, 3}, 2), b = Example.classification("b", 1, new int[]{4, 5}, 0);
        PaddedBatch batch = Collator.classification(PAD, 8).collate(List.of(a, b));
        assertThat(batch.inputIds().toIntArray()).containsExactly(1, 2, 3, PAD, PAD, PAD, PAD, PAD, 4, 5, PAD, PAD, PAD, PAD, PAD, PAD);
        assertThat(batch.labels().shape()).containsExactly(2);
        assertThat(batch.labels().toIntArray()).containsExactly(2, 0);
        assertThat(batch.labelTokens()).isEqualTo(2);

        // without pad_token_id rows are left unpadded, and unequal rows cannot share a batch
        Collator noPad = Collator.classification(null, 8);
        assertThat(noPad.collate(List.of(a)).length()).isEqualTo(3);
        assertThatThrownBy(() -> noPad.collate(List.of(a, b))).isInstanceOf(BadInputException.class)
                .hasMessage("config.json has no pad_token_id, which a classifier needs to pad rows of 2 to 3 tokens into one batch; "
                        + "set it or use a batch size of 1 (pad_token_id)");
    }
}
