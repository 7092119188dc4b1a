package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Chatbot Arena CSV as a 3-class preference set. */
class PreferencePairTest {
    private static final String HEADER = "id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n";

    @TempDir
    Path tmp;

    private static String text(String prompt, String a, String b) {
        return "<prompt>: " + prompt + "\n\n<response_a>: " + a + "\n\n<response_b>: " + b;
    }

    /** RFC 4180 quoting, multi-line fields, JSON lists with null items, plain fields, and six malformed records. */
    private static final String ARENA = HEADER
            + "30192,gpt-4,claude-2,\"[\"\"What is justice?\"\",\"\"And why?\"\"]\",\"[\"\"It is fairness.\"\",null]\","       // line 2
            + "\"[\"\"Who knows?\"\",\"\"Nobody.\"\"]\",1,0,0\r\n"
            + "53567,m1,m2,\"A plain prompt\nspanning two lines\",\"He said \"\"yes\"\", twice.\",\"[]\",0,1,0\n"     // lines 3-4
            + "11,m1,m2,\"[\"\"q\"\"]\",\"[\"\"a\"\"]\",0,1,0\n"                                                   // line 5: 8 fields
            + "12,m1,m2,q,a,b,1,1,0\n"                                                                              // line 6: two winners
            + "\n"                                                                                                  // line 7: blank
            + "65089,m1,m2,\"[\"\"line one\\nline two\"\"]\",\"[null]\",b,0,0,1\n"                                   // line 8
            + "13,m1,m2,q,a,b,0,0,0\n"                                                                              // line 9: no winner
            + "14,m1,m2,\"[\"\"q\"\" \"\"r\"\"]\",a,b,0,1,0\n"                                                      // line 10: bad JSON list
            + "x15,m1,m2,q,a,b,0,1,0\n"                                                                             // line 11: id
            + "16,m1,m2,[INST] hi [/INST],a,b,0,1,0\n"                                                              // line 12: plain text
            + "17,m1,m2,q,\"multi\n\nline\",b,2,0,0\n";                                                             // lines 13-15: flag 2

    @Test
    void arenaRecordsBecomeTextAndWinnerClass() throws IOException {
        Path csv = Files.writeString(tmp.resolve("arena.csv"), ARENA);
        ArenaCsv.Result r = ArenaCsv.read(csv);
        assertThat(r.rows()).extracting(DataRows.Row::place).containsExactly("line 2", "line 3", "line 8", "line 12");
        assertThat(r.rows()).extracting(DataRows.Row::id).containsExactly(30192L, 53567L, 65089L, 16L);
        assertThat(r.rows()).extracting(row -> row.node().get("label").asInt()).containsExactly(0, 1, 2, 1);
        assertThat(r.rows()).extracting(row -> row.node().get("text").asText()).containsExactly(
                text("What is justice?\nAnd why?", "It is fairness.\n", "Who knows?\nNobody."),
                text("A plain prompt\nspanning two lines", "He said \"yes\", twice.", ""),
                text("line one\nline two", "", "b"),
                text("[INST] hi [/INST]", "a", "b"));
        assertThat(r.malformed().count()).isEqualTo(6);
        assertThat(r.malformed().first()).containsExactly(
                "line 5 (has 8 fields, expected 9)",
                "line 6 (more than one winner column is 1)",
                "line 9 (no winner column is 1)",
                "line 10 (prompt looks like a JSON list but does not parse)",
                "line 11 (id \"x15\" is not an integer)");
    }

    @Test
    void malformedRowsAreReportedNotFatalAndAllBadIsAnError() throws IOException {
        Path csv = Files.writeString(tmp.resolve("arena.csv"), ARENA);
        TrainingData d = TrainingData.load(DataSpec.builder(csv).dataFormat(DataFormat.PREFERENCE_PAIR).build(),
                DataFiles.FIXTURES.resolve("gemma2-seqcls/model"));
        assertThat(d.task()).isEqualTo(Task.SEQUENCE_CLASSIFICATION);
        assertThat(d.train()).extracting(Example::classLabel).containsExactly(0, 1, 2, 1);
        assertThat(d.report().files().getFirst().malformed().count()).isEqualTo(6);
        assertThat(d.report().lines().getFirst()).isEqualTo(csv + ": 4 rows, 6 malformed skipped [line 5 (has 8 fields, expected 9), "
                + "line 6 (more than one winner column is 1), line 9 (no winner column is 1), line 10 (prompt looks like a JSON list but "
                + "does not parse), line 11 (id \"x15\" is not an integer)]");

        Path bad = Files.writeString(tmp.resolve("bad.csv"), HEADER + "1,a,b,q,a,b,0,0,0\n2,a,b,q,a,b\n");
        assertThatThrownBy(() -> ArenaCsv.read(bad)).isInstanceOf(BadInputException.class).hasMessage(
                "every row is malformed: 2 (line 2 (no winner column is 1), line 3 (has 6 fields, expected 9)) (" + bad + ")");
        Path unterminated = Files.writeString(tmp.resolve("u.csv"), HEADER + "1,a,b,\"q,a,b,1,0,0\n");
        assertThatThrownBy(() -> ArenaCsv.read(unterminated)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("CSV syntax error: ").hasMessageEndingWith("(" + unterminated + ")")
                .hasMessageContaining("EOF reached before encapsulated token finished").message().doesNotContain("\n");
        Path noColumns = Files.writeString(tmp.resolve("c.csv"), "id,prompt,response_a\n1,a,b\n");
        assertThatThrownBy(() -> ArenaCsv.read(noColumns)).hasMessage("the CSV header lacks the preference_pair column response_b; "
                + "it has id, prompt, response_a (" + noColumns + ")");
        Path someWinners = Files.writeString(tmp.resolve("w.csv"), "id,prompt,response_a,response_b,winner_model_a\n1,a,b,c,1\n");
        assertThatThrownBy(() -> ArenaCsv.read(someWinners)).hasMessage("the CSV header lacks the preference_pair columns "
                + "winner_model_b, winner_tie; it has id, prompt, response_a, response_b, winner_model_a (" + someWinners + ")");
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(noColumns).dataFormat(DataFormat.PREFERENCE_PAIR).build(),
                DataFiles.LLAMA)).hasMessage("preference_pair data has 3 classes (a wins, b wins, tie) for a sequence classifier; "
                + "the task is causal-lm (data_format)");
    }

    @Test
    void aFileWithoutWinnerColumnsGivesUnlabelledRowsThatTrainingRefuses() throws IOException {
        Path test = Files.writeString(tmp.resolve("test.csv"), "id,prompt,response_a,response_b\n"
                + "136060,\"[\"\"Hi\"\"]\",\"[\"\"Hello\"\"]\",\"[\"\"Hey\"\"]\"\n211333,q,a,b\n");
        ArenaCsv.Result r = ArenaCsv.read(test);
        assertThat(r.rows()).extracting(DataRows.Row::id).containsExactly(136060L, 211333L);
        assertThat(r.rows()).allSatisfy(row -> assertThat(row.node().has("label")).isFalse());
        assertThat(r.rows().getFirst().node().get("text").asText()).isEqualTo(text("Hi", "Hello", "Hey"));
        assertThatThrownBy(() -> TrainingData.load(DataSpec.builder(test).dataFormat(DataFormat.PREFERENCE_PAIR).build(),
                DataFiles.LLAMA_SEQCLS)).hasMessage("line 2 has no \"label\" (" + test + ")");
    }

    @Test
    void byteOrderMarkAndColumnOrderDoNotMatter() throws IOException {
        Path csv = Files.writeString(tmp.resolve("bom.csv"),
                "\uFEFFwinner_tie,winner_model_b,winner_model_a,response_b,response_a,prompt,id\r\n0,0,1,B,A,P,7\r\n");
        ArenaCsv.Result r = ArenaCsv.read(csv);
        assertThat(r.rows().getFirst().node().get("text").asText()).isEqualTo(text("P", "A", "B"));
        assertThat(r.rows().getFirst().node().get("label").asInt()).isZero();
        assertThat(r.rows().getFirst().id()).isEqualTo(7);
    }

    private static String quoted(String field) {
        return '"' + field.replace("\"", "\"\"") + '"';
    }

    /** The fixtures' classifier inputs are arena texts: the CSV reproduces their texts, tokens and labels. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2-seqcls", "llama-seqcls"})
    void fixtureClassifierInputsComeOutOfTheCsv(String fixture) throws IOException {
        JsonNode ref = DataFiles.JSON.readTree(DataFiles.FIXTURES.resolve(fixture).resolve("reference.json").toFile());
        StringBuilder csv = new StringBuilder(HEADER);
        for (int i = 0; i < ref.get("texts").size(); i++) {
            String t = ref.get("texts").get(i).asText();
            int a = t.indexOf("\n\n<response_a>: "), b = t.indexOf("\n\n<response_b>: ");
            String prompt = t.substring("<prompt>: ".length(), a), ra = t.substring(a + 16, b), rb = t.substring(b + 16);
            int label = ref.get("labels").get(i).asInt();
            // the prompt as a Kaggle JSON list, the responses plain
            csv.append(i).append(",m1,m2,").append(quoted(DataFiles.JSON.writeValueAsString(List.of(prompt)))).append(',')
                    .append(quoted(ra)).append(',').append(quoted(rb)).append(',').append(label == 0 ? 1 : 0).append(',').append(label == 1 ? 1 : 0)
                    .append(',').append(label == 2 ? 1 : 0).append('\n');
        }
        Path file = Files.writeString(tmp.resolve("ref.csv"), csv);
        List<String> texts = ArenaCsv.read(file).rows().stream().map(r -> r.node().get("text").asText()).toList();
        List<String> want = new ArrayList<>();
        ref.get("texts").forEach(t -> want.add(t.asText()));
        assertThat(texts).isEqualTo(want);

        // the reference batch is as wide as its longest row; Gemma-2's reference cut both rows to that width, keeping their beginning
        int width = ref.get("input_ids").get(0).size();
        TrainingData d = TrainingData.load(DataSpec.builder(file).dataFormat(DataFormat.PREFERENCE_PAIR).maxLength(width).build(),
                DataFiles.FIXTURES.resolve(fixture).resolve("model"));
        for (int i = 0; i < want.size(); i++) {
            JsonNode ids = ref.get("input_ids").get(i), mask = ref.get("attention_mask").get(i);
            List<Integer> unpadded = new ArrayList<>();
            for (int t = 0; t < ids.size(); t++) if (mask.get(t).asInt() == 1) unpadded.add(ids.get(t).asInt());
            assertThat(d.train().get(i).inputIds()).containsExactly(unpadded.stream().mapToInt(Integer::intValue).toArray());
            assertThat(d.train().get(i).classLabel()).isEqualTo(ref.get("labels").get(i).asInt());
        }
    }
}
