package dev.qlora4j.train.data;

import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.qlora4j.train.data.DataFiles.LLAMA;
import static dev.qlora4j.train.data.DataFiles.LLAMA_SEQCLS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pre-tokenized rows ({@code input_ids}, {@code attention_mask}, {@code labels} / {@code label}) as
 * transformers' Trainer takes them, and {@code add_eos_token} for text rows. The llama fixture's
 * vocab_size is 384.
 */
class TokenizedRowsTest {
    private static final Tokenizer TOKENIZER = Tokenizer.load(LLAMA);
    private static final String EOS = "<|eot_id|>";   // the llama fixture's tokenizer_config eos_token

    @TempDir
    Path tmp;

    /** The lines as they are (so that a test controls every JSON type), one row a line. */
    private Path rows(String... lines) throws IOException {
        return Files.writeString(tmp.resolve("rows.jsonl"), String.join("\n", lines) + "\n");
    }

    private static TrainingData load(Path file, DataFormat format) {
        return TrainingData.load(DataSpec.builder(file).dataFormat(format).build(), LLAMA);
    }

    private static int[] ids(String text, boolean specials) {
        return TOKENIZER.encode(text, specials).ids();
    }

    @Test
    void labelsDefaultToTheIdsAndNothingIsAdded() throws IOException {
        Path f = rows("{\"input_ids\": [10, 20, 30, 40]}");
        for (DataFormat format : List.of(DataFormat.TOKENIZED, DataFormat.ROWS)) {
            TrainingData d = load(f, format);
            assertThat(d.task()).isEqualTo(Task.CAUSAL_LM);
            Example e = d.train().getFirst();
            assertThat(e.inputIds()).as(format.key()).containsExactly(10, 20, 30, 40);
            assertThat(e.labels()).as(format.key()).containsExactly(10, 20, 30, 40);
            assertThat(e.origin()).isEqualTo(f + ": line 1");
        }
    }

    @Test
    void attentionMaskZeroPositionsAreDroppedFromIdsAndLabels() throws IOException {
        Path f = rows("{\"input_ids\": [10, 20, 30, 383, 383], \"attention_mask\": [1, 1, 1, 0, 0], \"labels\": [-100, 20, 30, -100, -100]}",
                "{\"input_ids\": [383, 11, 12, 13], \"attention_mask\": [0, 1, 1, 1]}");
        TrainingData d = load(f, DataFormat.TOKENIZED);
        assertThat(d.train().get(0).inputIds()).containsExactly(10, 20, 30);
        assertThat(d.train().get(0).labels()).containsExactly(Example.IGNORE, 20, 30);
        assertThat(d.train().get(1).inputIds()).as("left padding too").containsExactly(11, 12, 13);
        assertThat(d.train().get(1).labels()).containsExactly(11, 12, 13);
    }

    @Test
    void minus100LabelsAreKeptAndIgnoredByTheLoss() throws IOException {
        Path f = rows("{\"input_ids\": [10, 20, 30, 40], \"labels\": [-100, -100, 30, 40]}");
        Example e = load(f, DataFormat.TOKENIZED).train().getFirst();
        assertThat(e.labels()).containsExactly(Example.IGNORE, Example.IGNORE, 30, 40);
        assertThat(e.labelTokens()).isEqualTo(2);
    }

    @Test
    void maxLengthKeepsTheFirstNAfterMasking() throws IOException {
        Path f = rows("{\"input_ids\": [383, 10, 20, 30, 40], \"attention_mask\": [0, 1, 1, 1, 1], \"labels\": [-100, -100, 20, 30, 40]}");
        TrainingData d = TrainingData.load(DataSpec.builder(f).dataFormat(DataFormat.TOKENIZED).maxLength(3).build(), LLAMA);
        assertThat(d.train().getFirst().inputIds()).containsExactly(10, 20, 30);
        assertThat(d.train().getFirst().labels()).containsExactly(Example.IGNORE, 20, 30);
        assertThat(d.report().train().truncated()).isEqualTo(1);
    }

    @Test
    void autoTakesARowWithInputIdsAsTokenizedWhateverElseItHas() throws IOException {
        Path f = rows("{\"text\": \"What is justice?\", \"input_ids\": [10, 20, 30]}", "{\"text\": \"What is justice?\"}");
        TrainingData d = load(f, DataFormat.ROWS);
        assertThat(d.train().get(0).inputIds()).containsExactly(10, 20, 30);
        assertThat(d.train().get(1).inputIds()).containsExactly(ids("What is justice?" + EOS, true));
    }

    @Test
    void dataFormatTokenizedAsksForInputIdsInEveryRow() throws IOException {
        Path f = rows("{\"input_ids\": [10, 20]}", "{\"text\": \"hi\"}");
        assertThatThrownBy(() -> load(f, DataFormat.TOKENIZED))
                .hasMessage("line 2 has no \"input_ids\", which data_format \"tokenized\" asks for (" + f + ")");
        assertThat(DataFormat.parse("tokenized")).isEqualTo(DataFormat.TOKENIZED);
        assertThat(DataFormat.TOKENIZED.requiredKeys()).containsExactly("input_ids");
    }

    @Test
    void classifierRowsTakeTheirIdsAndLabel() throws IOException {
        Path f = rows("{\"input_ids\": [10, 20, 30, 383], \"attention_mask\": [1, 1, 1, 0], \"label\": 2}",
                "{\"input_ids\": [11, 12], \"label\": \"LABEL_1\"}");
        TrainingData d = TrainingData.load(DataSpec.builder(f).dataFormat(DataFormat.TOKENIZED).build(), LLAMA_SEQCLS);
        assertThat(d.task()).isEqualTo(Task.SEQUENCE_CLASSIFICATION);
        assertThat(d.train().get(0).inputIds()).containsExactly(10, 20, 30);
        assertThat(d.train().get(1).inputIds()).containsExactly(11, 12);
        assertThat(d.train()).extracting(Example::classLabel).containsExactly(2, 1);
        Path bad = rows("{\"input_ids\": [11, 12], \"label\": 3}");
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(bad).build(), LLAMA_SEQCLS))
                .hasMessage("line 1 has label 3, expected a class index 0..2 or a label name (" + bad + ")");
        Path outside = rows("{\"input_ids\": [11, 384], \"label\": 0}");
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(outside).build(), LLAMA_SEQCLS))
                .hasMessage("line 1 has input_ids[1] = 384, outside the vocabulary 0..383 (config.json's vocab_size 384) (" + outside + ")");
    }

    // ---- one error kind a test; the row is on line 2 (line 1 is good), so the line number is checked ----

    private void assertRowError(String badLine, String message) throws IOException {
        Path f = rows("{\"input_ids\": [10, 20]}", badLine);
        assertThatThrownBy(() -> load(f, DataFormat.TOKENIZED)).hasMessage(message + " (" + f + ")");
        assertThatThrownBy(() -> load(f, DataFormat.ROWS)).as("auto").hasMessage(message + " (" + f + ")");
    }

    @Test
    void anIdThatIsNotAnIntegerIsAnError() throws IOException {
        assertRowError("{\"input_ids\": [10, \"x\"]}", "line 2 has input_ids[1] = \"x\", which is not an integer token id");
        assertRowError("{\"input_ids\": [10, 2.5]}", "line 2 has input_ids[1] = 2.5, which is not an integer token id");
        assertRowError("{\"input_ids\": \"10 20\"}", "line 2 has an \"input_ids\" that is not a list of token ids");
    }

    @Test
    void anIdOutsideTheVocabularyIsAnError() throws IOException {
        assertRowError("{\"input_ids\": [10, 384]}",
                "line 2 has input_ids[1] = 384, outside the vocabulary 0..383 (config.json's vocab_size 384)");
        assertRowError("{\"input_ids\": [-1, 10]}",
                "line 2 has input_ids[0] = -1, outside the vocabulary 0..383 (config.json's vocab_size 384)");
        assertRowError("{\"input_ids\": [10, -100]}",
                "line 2 has input_ids[1] = -100, outside the vocabulary 0..383 (config.json's vocab_size 384)");
    }

    @Test
    void anAttentionMaskOfAnotherLengthIsAnError() throws IOException {
        assertRowError("{\"input_ids\": [10, 20, 30], \"attention_mask\": [1, 1]}", "line 2 has 2 attention_mask values for 3 input_ids");
    }

    @Test
    void anAttentionMaskValueOtherThanZeroOrOneIsAnError() throws IOException {
        assertRowError("{\"input_ids\": [10, 20, 30], \"attention_mask\": [1, 2, 1]}", "line 2 has attention_mask[1] = 2, expected 0 or 1");
        assertRowError("{\"input_ids\": [10, 20, 30], \"attention_mask\": [1, true, 1]}",
                "line 2 has attention_mask[1] = true, expected 0 or 1");
    }

    @Test
    void labelsOfAnotherLengthAreAnError() throws IOException {
        assertRowError("{\"input_ids\": [10, 20, 30], \"labels\": [10, 20]}", "line 2 has 2 labels for 3 input_ids");
    }

    @Test
    void aLabelOutsideTheVocabularyOtherThanMinus100IsAnError() throws IOException {
        assertRowError("{\"input_ids\": [10, 20, 30], \"labels\": [-100, 20, 999]}",
                "line 2 has labels[2] = 999, outside the vocabulary 0..383 (config.json's vocab_size 384) and not -100");
        assertRowError("{\"input_ids\": [10, 20, 30], \"labels\": [-1, 20, 30]}",
                "line 2 has labels[0] = -1, outside the vocabulary 0..383 (config.json's vocab_size 384) and not -100");
        assertRowError("{\"input_ids\": [10, 20, 30], \"labels\": [null, 20, 30]}",
                "line 2 has labels[0] = null, which is not an integer token id or -100");
    }

    @Test
    void emptyInputIdsAreAnError() throws IOException {
        assertRowError("{\"input_ids\": []}", "line 2 has an empty \"input_ids\"");
        assertRowError("{\"input_ids\": [10, 20], \"attention_mask\": [0, 0]}",
                "line 2 has no input_ids left: attention_mask is 0 at every position");
    }

    @Test
    void aJsonArrayFileNamesTheItem() throws IOException {
        Path f = Files.writeString(tmp.resolve("rows.json"), "[{\"input_ids\": [10, 20]}, {\"input_ids\": [10, 400]}]");
        assertThatThrownBy(() -> load(f, DataFormat.TOKENIZED))
                .hasMessage("item 2 has input_ids[1] = 400, outside the vocabulary 0..383 (config.json's vocab_size 384) (" + f + ")");
    }

    @Test
    void idsAtDroppedPositionsNeedOnlyBeIntegers() throws IOException {
        // the padding of a batch tokenized with a pad id the model does not have is dropped, not refused
        Path f = rows("{\"input_ids\": [10, 20, 9999], \"attention_mask\": [1, 1, 0], \"labels\": [10, 20, 9999]}");
        assertThat(load(f, DataFormat.TOKENIZED).train().getFirst().inputIds()).containsExactly(10, 20);
    }

    @Test
    void trainOnResponsesOnlyWithTokenizedRowsIsAConfigError() throws IOException {
        Path f = rows("{\"input_ids\": [10, 20]}");
        assertThatThrownBy(() -> DataSpec.builder(f).dataFormat(DataFormat.TOKENIZED).trainOnResponsesOnly(true).build())
                .hasMessage("does not apply to tokenized rows, which carry their own labels (-100 where no loss is wanted): "
                        + "leave it out or set it false (train_on_responses_only)");
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(f).trainOnResponsesOnly(true).build(), LLAMA))
                .hasMessage("line 1 has \"input_ids\", and train_on_responses_only does not apply to tokenized rows, which carry their "
                        + "own labels (-100 where no loss is wanted): leave it out or set it false (" + f + ")");
        assertThat(TrainingData.load(DataSpec.builder(f).trainOnResponsesOnly(false).build(), LLAMA).train().getFirst().labels())
                .containsExactly(10, 20);
    }

    // ---- add_eos_token ----

    @Test
    void addEosTokenFalseAppendsNothingToTextAndCompletions() throws IOException {
        Path f = rows("{\"text\": \"What is justice?\"}", "{\"prompt\": \"Q: \", \"completion\": \"A.\"}");
        TrainingData off = TrainingData.load(DataSpec.builder(f).addEosToken(false).build(), LLAMA);
        assertThat(off.train().get(0).inputIds()).containsExactly(ids("What is justice?", true));
        assertThat(off.train().get(1).inputIds()).containsExactly(ids("Q: A.", true));
        int eos = TOKENIZER.tokenToId(EOS).getAsInt();
        assertThat(off.train()).allSatisfy(e -> assertThat(e.inputIds()).doesNotContain(eos));
    }

    @Test
    void addEosTokenTrueKeepsTrlsEos() throws IOException {
        Path f = rows("{\"text\": \"What is justice?\"}", "{\"prompt\": \"Q: \", \"completion\": \"A.\"}", "{\"text\": \"Done." + EOS + "\"}");
        TrainingData on = TrainingData.load(DataSpec.builder(f).addEosToken(true).build(), LLAMA);
        TrainingData byDefault = TrainingData.load(DataSpec.builder(f).build(), LLAMA);
        assertThat(on.train().get(0).inputIds()).containsExactly(ids("What is justice?" + EOS, true));
        assertThat(on.train().get(1).inputIds()).containsExactly(ids("Q: A." + EOS, true));
        assertThat(on.train().get(2).inputIds()).as("not twice").containsExactly(ids("Done." + EOS, true));
        for (int i = 0; i < 3; i++) assertThat(byDefault.train().get(i).inputIds()).containsExactly(on.train().get(i).inputIds());
        assertThat(DataSpec.builder(f).build().addEosToken()).isTrue();
    }

    @Test
    void addEosTokenLeavesTokenizedRowsAlone() throws IOException {
        Path f = rows("{\"input_ids\": [10, 20]}");
        assertThat(TrainingData.load(DataSpec.builder(f).addEosToken(true).build(), LLAMA).train().getFirst().inputIds())
                .containsExactly(10, 20);
    }
}
