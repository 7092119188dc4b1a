package dev.qlora4j.train.data;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.qlora4j.train.data.DataFiles.LLAMA;
import static dev.qlora4j.train.data.DataFiles.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each row shape becomes the tokens and labels TRL's SFTTrainer (or a classification script) would make. */
class RowShapesTest {
    private static final Tokenizer TOKENIZER = Tokenizer.load(LLAMA);
    private static final String EOS = "<|eot_id|>";   // the llama fixture's tokenizer_config eos_token

    @TempDir
    Path tmp;

    private static TrainingData load(DataSpec.Builder spec) {
        return TrainingData.load(spec.build(), LLAMA);
    }

    private DataSpec.Builder spec(List<? extends Map<String, ?>> rows) throws IOException {
        return DataSpec.builder(DataFiles.jsonl(tmp.resolve("rows.jsonl"), rows));
    }

    private static int[] ids(String text, boolean specials) {
        return TOKENIZER.encode(text, specials).ids();
    }

    private static String learned(Example e) {
        int[] kept = java.util.stream.IntStream.range(0, e.length()).filter(t -> e.labels()[t] != Example.IGNORE)
                .map(t -> e.inputIds()[t]).toArray();
        return TOKENIZER.decode(kept, false);
    }

    @Test
    void aNamedDataFormatRequiresItsKeysInEveryRow() throws IOException {
        List<Map<String, String>> rows = List.of(Map.of("text", "What is justice?"), Map.of("prompt", "Q", "completion", "A"));
        assertThat(load(spec(rows)).train()).hasSize(2);   // auto: each row by its keys
        assertThat(load(spec(rows.subList(0, 1)).dataFormat(DataFormat.TEXT)).train()).hasSize(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> load(spec(rows).dataFormat(DataFormat.TEXT)))
                .hasMessage("line 2 has no \"text\", which data_format \"text\" asks for (" + tmp.resolve("rows.jsonl") + ")");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> load(spec(rows).dataFormat(DataFormat.MESSAGES)))
                .hasMessageStartingWith("line 1 has no \"messages\"");
        assertThat(DataFormat.parse("prompt_completion").requiredKeys()).containsExactly("prompt", "completion");
    }

    @Test
    void textIsEncodedWithSpecialTokensAndTrlsEosAppended() throws IOException {
        List<Map<String, String>> rows = List.of(Map.of("text", "What is justice?"), Map.of("text", "Already ended." + EOS));
        TrainingData d = load(spec(rows));
        assertThat(d.task()).isEqualTo(Task.CAUSAL_LM);
        assertThat(d.train().get(0).inputIds()).containsExactly(ids("What is justice?" + EOS, true));
        assertThat(d.train().get(0).inputIds()[0]).isEqualTo(TOKENIZER.tokenToId("<|begin_of_text|>").getAsInt());
        assertThat(d.train().get(0).labels()).containsExactly(d.train().get(0).inputIds());
        assertThat(d.train().get(1).inputIds()).containsExactly(ids("Already ended." + EOS, true));
        assertThat(d.train().get(0).origin()).isEqualTo(tmp.resolve("rows.jsonl") + ": line 1");
    }

    @Test
    void messagesAreRenderedAndEncodedWithoutAddedSpecials() throws IOException {
        List<Map<String, String>> conv = List.of(msg("user", "Hi"), msg("assistant", "Hello"));
        List<Map<String, Object>> rows = List.of(Map.of("messages", conv));
        TrainingData d = load(spec(rows));
        String rendered = ChatTemplate.load(LLAMA).renderMessages(conv, false);
        assertThat(d.train().getFirst().inputIds()).containsExactly(ids(rendered, false));
        assertThat(rendered).startsWith("<|begin_of_text|>");   // the template writes BOS, once
    }

    @Test
    void promptCompletionJoinsTheStringsAndLearnsTheCompletionByDefault() throws IOException {
        String prompt = "Question: what is justice?\nAnswer:", completion = " Giving each their due.";
        List<Map<String, String>> rows = List.of(Map.of("prompt", prompt, "completion", completion));
        Example e = load(spec(rows)).train().getFirst();
        assertThat(e.inputIds()).containsExactly(ids(prompt + completion + EOS, true));
        int promptTokens = ids(prompt, true).length;
        for (int t = 0; t < e.length(); t++) assertThat(e.labels()[t]).isEqualTo(t < promptTokens ? Example.IGNORE : e.inputIds()[t]);
        assertThat(learned(e)).isEqualTo(completion + EOS);

        Example all = load(spec(rows).trainOnResponsesOnly(false)).train().getFirst();
        assertThat(all.labels()).containsExactly(all.inputIds());
        Example explicit = load(spec(rows).trainOnResponsesOnly(true)).train().getFirst();
        assertThat(explicit.labels()).containsExactly(e.labels());
    }

    @Test
    void conversationalPromptCompletionMasksThePromptWithItsGenerationPrompt() throws IOException {
        List<Map<String, String>> prompt = List.of(msg("user", "What is justice?")), completion = List.of(msg("assistant", "Fairness."));
        List<Map<String, Object>> rows = List.of(Map.of("prompt", prompt, "completion", completion));
        Example e = load(spec(rows)).train().getFirst();
        ChatTemplate t = ChatTemplate.load(LLAMA);
        assertThat(e.inputIds()).containsExactly(ids(t.renderMessages(List.of(prompt.getFirst(), completion.getFirst()), false), false));
        assertThat(learned(e)).isEqualTo("Fairness." + EOS);
        int promptTokens = ids(t.renderMessages(prompt, true), false).length;
        for (int i = 0; i < e.length(); i++) assertThat(e.labels()[i]).isEqualTo(i < promptTokens ? Example.IGNORE : e.inputIds()[i]);
    }

    @Test
    void maxLengthKeepsTheFirstTokensAndLabelsAndDropsFullyMaskedRows() throws IOException {
        String text = "one two three four five six seven eight nine ten eleven twelve";
        List<Map<String, String>> rows = List.of(Map.of("text", text), Map.of("prompt", text, "completion", " thirteen"),
                Map.of("text", "ok"));
        TrainingData d = load(spec(rows).maxLength(8));
        assertThat(d.train()).hasSize(2);
        assertThat(d.train().get(0).inputIds()).containsExactly(Arrays.copyOf(ids(text + EOS, true), 8));
        assertThat(d.train().get(0).labels()).containsExactly(Arrays.copyOf(ids(text + EOS, true), 8));
        assertThat(d.report().train().truncated()).isEqualTo(2);
        assertThat(d.report().train().dropped()).isEqualTo(new RowIssues(1, List.of("line 2 (has no learned token within max_length)")));
        assertThat(d.report().train().labelTokens()).isEqualTo(7 + (ids("ok" + EOS, true).length - 1));
    }

    @Test
    void jsonArrayFilesWork() throws IOException {
        Path file = Files.writeString(tmp.resolve("rows.json"), "[{\"text\": \"a\"}, {\"text\": \"b\"}]");
        TrainingData d = TrainingData.load(DataSpec.builder(file).build(), LLAMA);
        assertThat(d.train()).extracting(Example::origin).containsExactly(file + ": item 1", file + ": item 2");
        assertThat(d.train()).extracting(Example::id).containsExactly(0L, 1L);
    }

    @Test
    void evalEncodingCountsEveryTokenAndAppendsNothing() {
        ModelConfig config = ModelConfig.load(LLAMA);
        ExampleEncoder encoder = new ExampleEncoder(Task.CAUSAL_LM, TOKENIZER, SpecialTokens.load(LLAMA, TOKENIZER),
                ExampleEncoder.templateOf(LLAMA), config, new ExampleEncoder.Options(null, false, false, "--max-length", Map.of()));
        var row = new DataRows.Row(DataFiles.JSON.valueToTree(Map.of("prompt", "a b", "completion", " c")), "line 1", tmp, 0);
        Example e = encoder.encode(row).example();
        assertThat(e.inputIds()).containsExactly(ids("a b c", true));
        assertThat(e.labels()).containsExactly(e.inputIds());
    }

    @Test
    void classifierRowsTakeAClassIndexOrALabelName() throws IOException {
        Path model = DataFiles.FIXTURES.resolve("llama-seqcls/model");
        List<Map<String, Object>> rows = List.of(Map.of("text", "What is justice?", "label", 2), Map.of("text", "Why?", "label", "LABEL_1"));
        TrainingData d = TrainingData.load(spec(rows).build(), model);
        assertThat(d.task()).isEqualTo(Task.SEQUENCE_CLASSIFICATION);
        assertThat(d.train().get(0).inputIds()).containsExactly(Tokenizer.load(model).encode("What is justice?", true).ids());
        assertThat(d.train()).extracting(Example::classLabel).containsExactly(2, 1);
        assertThat(d.train().get(0).labels()).isNull();
        assertThat(d.padId()).isEqualTo(ModelConfig.load(model).tokenIds().pad());

        assertError(model, Map.of("text", "hi", "label", "LABEL_7"),
                "line 1 has label \"LABEL_7\", which config.json's label2id does not name [LABEL_0, LABEL_1, LABEL_2]");
        assertError(model, Map.of("text", "hi", "label", 3), "line 1 has label 3, expected a class index 0..2 or a label name");
        assertError(model, Map.of("text", "hi"), "line 1 has no \"label\"");
        assertError(model, Map.of("label", 1), "line 1 has no \"text\"");
        assertThatThrownBy(() -> TrainingData.load(spec(rows).trainOnResponsesOnly(true).build(), model))
                .hasMessage("applies to causal LM data, not to sequence classification (train_on_responses_only)");
    }

    @Test
    void badRowsAreOneLineErrorsNamingFileAndLine() throws IOException {
        assertError(LLAMA, Map.of("text", "a", "messages", List.of()),
                "line 1 has more than one of \"messages\", \"text\", \"prompt\"/\"completion\": give one");
        assertError(LLAMA, Map.of("input", "a"), "line 1 has none of \"messages\", \"text\", \"prompt\"/\"completion\"");
        assertError(LLAMA, Map.of("prompt", "a"), "line 1 has \"prompt\" but no \"completion\"");
        assertError(LLAMA, Map.of("prompt", "a", "completion", List.of(msg("assistant", "b"))),
                "line 1 has a \"prompt\" and \"completion\" that are not both strings or both lists of messages");
        assertError(LLAMA, Map.of("text", 3), "line 1 has a \"text\" that is not a string");
        assertError(LLAMA, Map.of("text", "ab ".repeat(300)),
                "line 1 has " + ids("ab ".repeat(300) + EOS, true).length + " tokens, more than the model's max_position_embeddings 256; truncate with max_length");
        Path data = DataFiles.jsonl(tmp.resolve("t.jsonl"), List.of(Map.of("text", "a")));
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(data).trainOnResponsesOnly(true).build(), LLAMA))
                .hasMessage("line 1 has \"text\", which has no responses to train on: train_on_responses_only needs \"messages\" or "
                        + "\"prompt\"/\"completion\" rows (" + data + ")");
        Tokenizer tok = TOKENIZER;
        Path chat = DataFiles.jsonl(tmp.resolve("c.jsonl"), List.of(Map.of("messages", List.of(msg("user", "a")))));
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(chat).build(), tok, SpecialTokens.load(LLAMA, tok), null,
                ModelConfig.load(LLAMA))).hasMessage("line 1 is a conversation, but the model has no chat template (" + chat + ")");
        Path csv = Files.writeString(tmp.resolve("x.csv"), "id,text\n1,a\n");
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(csv).build(), LLAMA))
                .hasMessage("a CSV file is read with data_format \"preference_pair\"; data_format \"auto\" reads JSON rows (" + csv + ")");
    }

    private void assertError(Path model, Map<String, ?> row, String what) throws IOException {
        Path data = DataFiles.jsonl(tmp.resolve("bad.jsonl"), List.of(row));
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(data).build(), model))
                .isInstanceOf(BadInputException.class).hasMessage(what + " (" + data + ")");
    }
}
