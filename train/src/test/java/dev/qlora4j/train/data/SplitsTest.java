package dev.qlora4j.train.data;

import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Evaluation sets, folds and fractions: seeded, deterministic, disjoint, in file order. */
class SplitsTest {
    private static final int ROWS = 40;

    @TempDir
    Path tmp;

    private Path rows() throws IOException {
        return DataFiles.numberedRows(tmp.resolve("rows.jsonl"), ROWS);
    }

    private static List<Long> ids(List<Example> examples) {
        return examples.stream().map(Example::id).toList();
    }

    private static TrainingData load(DataSpec.Builder spec) {
        return TrainingData.load(spec.build(), DataFiles.LLAMA);
    }

    private static void assertPartition(TrainingData d) {
        Set<Long> train = new HashSet<>(ids(d.train())), eval = new HashSet<>(ids(d.eval()));
        assertThat(train).doesNotContainAnyElementsOf(eval);
        Set<Long> all = new HashSet<>(train);
        all.addAll(eval);
        assertThat(all).containsExactlyInAnyOrderElementsOf(LongStream.range(0, ROWS).boxed().toList());
        assertThat(ids(d.train())).isSorted();
        assertThat(ids(d.eval())).isSorted();
    }

    @Test
    void validationSplitHoldsOutASeededShareRoundedUp() throws IOException {
        Path file = rows();
        TrainingData d = load(DataSpec.builder(file).validationSplit(0.11).seed(7));
        assertThat(d.eval()).hasSize((int) Math.ceil(0.11 * ROWS));
        assertPartition(d);
        assertThat(ids(load(DataSpec.builder(file).validationSplit(0.11).seed(7)).eval())).isEqualTo(ids(d.eval()));
        assertThat(ids(load(DataSpec.builder(file).validationSplit(0.11).seed(8)).eval())).isNotEqualTo(ids(d.eval()));
        assertThat(d.report().evalSource()).isEqualTo("validation_split 0.11 of the training rows");
        assertThat(d.report().eval().rows()).isEqualTo(5);
        assertThat(d.report().train().rows()).isEqualTo(ROWS - 5);

        Path two = DataFiles.numberedRows(tmp.resolve("two.jsonl"), 2);
        assertThatThrownBy(() -> load(DataSpec.builder(two).validationSplit(0.6)))
                .isInstanceOf(BadInputException.class).hasMessage("holding out 0.6 of 2 rows leaves no training rows (validation_split)");
    }

    @Test
    void foldsHoldOutTheIdsCongruentToTheFoldAndPartitionTheRows() throws IOException {
        Path file = rows();
        Set<Long> seen = new HashSet<>();
        for (int fold = 0; fold < 3; fold++) {
            TrainingData d = load(DataSpec.builder(file).folds(fold, 3));
            assertPartition(d);
            for (long id : ids(d.eval())) assertThat(id % 3).isEqualTo(fold);
            for (long id : ids(d.train())) assertThat(id % 3).isNotEqualTo(fold);
            assertThat(seen).doesNotContainAnyElementsOf(ids(d.eval()));
            seen.addAll(ids(d.eval()));
        }
        assertThat(seen).hasSize(ROWS);
    }

    @Test
    void fractionTakesASeededShareOfTheTrainingRowsOnly() throws IOException {
        Path file = rows();
        TrainingData whole = load(DataSpec.builder(file).validationSplit(0.25).seed(3));
        TrainingData part = load(DataSpec.builder(file).validationSplit(0.25).seed(3).fraction(0.3));
        assertThat(ids(part.eval())).isEqualTo(ids(whole.eval()));
        assertThat(part.train()).hasSize((int) Math.round(0.3 * whole.train().size()));
        assertThat(ids(whole.train())).containsAll(ids(part.train()));
        assertThat(ids(part.train())).isSorted();
        assertThat(part.report().train().leftOut()).isEqualTo(whole.train().size() - part.train().size());
        assertThat(ids(load(DataSpec.builder(file).validationSplit(0.25).seed(3).fraction(0.3)).train())).isEqualTo(ids(part.train()));
        assertThat(ids(load(DataSpec.builder(file).validationSplit(0.25).seed(4).fraction(0.3)).train())).isNotEqualTo(ids(part.train()));
        assertThat(load(DataSpec.builder(file).fraction(0.001)).train()).hasSize(1);
    }

    @Test
    void evalFileWinsOverValidationSplitAndMaxEvalSamplesKeepsTheFirst() throws IOException {
        Path file = rows(), evalFile = DataFiles.numberedRows(tmp.resolve("eval.jsonl"), 6);
        TrainingData d = load(DataSpec.builder(file).evalFile(evalFile).validationSplit(0.5).maxEvalSamples(4));
        assertThat(d.train()).hasSize(ROWS);
        assertThat(ids(d.eval())).containsExactly(0L, 1L, 2L, 3L);
        assertThat(d.eval().getFirst().origin()).isEqualTo(evalFile + ": line 1");
        assertThat(d.report().eval().leftOut()).isEqualTo(2);
        assertThat(d.report().files()).extracting(DataReport.FileStats::rows).containsExactly(ROWS, 6);
        assertThat(load(DataSpec.builder(file)).eval()).isEmpty();
    }

    @Test
    void inconsistentSettingsNameTheirKey() {
        Path f = tmp.resolve("x.jsonl");
        assertThatThrownBy(() -> DataSpec.builder(f).validationSplit(1).build()).hasMessage("must be at least 0 and below 1, got 1.0 (validation_split)");
        assertThatThrownBy(() -> DataSpec.builder(f).fraction(0).build()).hasMessage("must be above 0 and at most 1, got 0.0 (fraction)");
        assertThatThrownBy(() -> DataSpec.builder(f).folds(3, 3).build()).hasMessage("must be in 0..2 for num_folds 3, got 3 (fold)");
        assertThatThrownBy(() -> DataSpec.builder(f).folds(0, 1).build()).hasMessage("must be at least 2, got 1 (num_folds)");
        assertThatThrownBy(() -> new DataSpec(f, null, 0, null, null, null, null, true, null, 1, 1, null, true, 0, null))
                .hasMessage("fold and num_folds go together: give both or neither (num_folds)");
        assertThatThrownBy(() -> DataSpec.builder(f).folds(0, 2).evalFile(f).build())
                .hasMessage("fold and eval_file both choose the evaluation set: give one (fold)");
        assertThatThrownBy(() -> DataSpec.builder(f).folds(0, 2).validationSplit(0.1).build())
                .hasMessage("fold and validation_split both choose the evaluation set: give one (fold)");
        assertThatThrownBy(() -> DataSpec.builder(f).maxLength(0).build()).hasMessage("must be at least 1, got 0 (max_length)");
        assertThatThrownBy(() -> DataSpec.builder(null).build()).hasMessage("no training data file given (train_file)");
        assertThatThrownBy(() -> DataFormat.parse("csv"))
                .hasMessage("unknown data format \"csv\", expected \"auto\", \"json\", \"jsonl\", \"messages\", \"text\", \"prompt_completion\", \"tokenized\" or \"preference_pair\" (data_format)");
    }
}
