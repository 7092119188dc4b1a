package dev.qlora4j.train.demo.build;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's shipped data and tokenizer are exactly what {@link BuildDemoAssets} makes, the
 * tokenizer encodes as the tokenizers library does, and the dialogue set has the shape the demo
 * relies on.
 */
class DemoAssetsTest {
    private static final Path DEMO = Path.of("src", "main", "resources", "demo");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shippedDialoguesAreWhatTheGeneratorWrites(@TempDir Path tmp) throws IOException {
        SocraticDataset.write(SocraticDataset.build(BuildDemoAssets.SEED), tmp);
        for (String f : List.of(SocraticDataset.TRAIN_FILE, SocraticDataset.EVAL_FILE))
            assertThat(tmp.resolve(f)).as(f).hasSameBinaryContentAs(DEMO.resolve("data").resolve(f));
    }

    @Test
    void shippedTokenizerIsWhatTheTrainerLearns(@TempDir Path tmp) throws IOException {
        var corpus = GenericCorpus.build(BuildDemoAssets.SEED, BuildDemoAssets.CORPUS_DOCUMENTS);
        var vocab = ByteLevelBpeTrainer.train(BuildDemoAssets.corpusTexts(corpus), BuildDemoAssets.VOCAB);
        TokenizerFiles.write(vocab, Path.of("..").resolve(TokenizerFiles.FIXTURE), tmp);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json"))
            assertThat(tmp.resolve(f)).as(f).hasSameBinaryContentAs(DEMO.resolve("model").resolve(f));
    }

    @Test
    void tokenizerEncodesAsTheTokenizersLibrary() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(DEMO.resolve("model"));
        JsonNode cases = JSON.readTree(Path.of("src", "test", "resources", "demo", "tokenizer_vectors.json").toFile()).get("cases");
        assertThat(cases.size()).isGreaterThan(50);
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            assertThat(tokenizer.encode(text, false).ids()).as(text).containsExactly(ints(c.get("ids")));
            assertThat(tokenizer.encode(text, true).ids()).as(text).containsExactly(ints(c.get("ids_with_special")));
            assertThat(tokenizer.decode(ints(c.get("ids")), false)).as(text).isEqualTo(c.get("decoded").asText());
        }
    }

    @Test
    void dialoguesAreEnglishAndJapaneseUserAssistantTurnsWithUnseenEvalQuestions() throws IOException {
        List<JsonNode> train = rows(SocraticDataset.TRAIN_FILE), eval = rows(SocraticDataset.EVAL_FILE);
        assertThat(train.size() + eval.size()).isBetween(300, 500);
        assertThat(eval.size()).isBetween((train.size() + eval.size()) / 20, (train.size() + eval.size()) / 5);
        Set<String> trainQuestions = new HashSet<>();
        for (JsonNode r : train) trainQuestions.add(r.at("/messages/0/content").asText());
        int japanese = 0;
        for (JsonNode r : eval) {
            String q = r.at("/messages/0/content").asText();
            assertThat(trainQuestions).as("held-out question").doesNotContain(q);
            if (q.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HIRAGANA)) japanese++;
        }
        assertThat(japanese).isPositive().isLessThan(eval.size());
        for (JsonNode r : concat(train, eval)) {
            JsonNode messages = r.get("messages");
            assertThat(messages.size() % 2).isZero();
            for (int i = 0; i < messages.size(); i++) {
                assertThat(messages.get(i).get("role").asText()).isEqualTo(i % 2 == 0 ? "user" : "assistant");
                assertThat(messages.get(i).get("content").asText()).isNotBlank().doesNotContain("  ").doesNotContain("null");
            }
        }
    }

    @Test
    void bundledModelFolderLoadsAsAHuggingFaceFolder() {
        Path model = DEMO.resolve("model");
        ModelConfig c = ModelConfig.load(model);
        assertThat(c.architecture()).isEqualTo("LlamaForCausalLM");
        assertThat(c.vocabSize()).isEqualTo(Tokenizer.load(model).vocabSize());
        String rendered = ChatTemplate.load(model).renderMessages(List.of(java.util.Map.of("role", "user", "content", "Hi")), true);
        assertThat(rendered).startsWith("<|begin_of_text|><|start_header_id|>user").endsWith("assistant<|end_header_id|>\n\n");
    }

    private static List<JsonNode> rows(String file) throws IOException {
        List<JsonNode> rows = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(DEMO.resolve("data").resolve(file))) rows.add(JSON.readTree(line));
        return rows;
    }

    private static List<JsonNode> concat(List<JsonNode> a, List<JsonNode> b) {
        List<JsonNode> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static int[] ints(JsonNode array) {
        int[] v = new int[array.size()];
        for (int i = 0; i < v.length; i++) v[i] = array.get(i).asInt();
        return v;
    }
}
