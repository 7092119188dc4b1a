package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The fixtures' LoRA SFT runs (fixtures/hf/{llama,gemma2}/training_run.json): train.jsonl rendered
 * with the chat template, max_length 64, no shuffle, the run's micro batch and accumulation. The
 * first optimizer step's loss, taken before any update from adapter_init, is the summed token
 * cross-entropy of its micro-batches over their label tokens: it matches the reference only if the
 * examples, their order, the grouping into steps and the label-token totals are all right.
 */
class FixtureTrainingRunTest {
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");
    /** fixtures/README.md: losses within 1e-4, relative for values above 1. */
    private static final double LOSS_TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2"})
    void firstStepLossIsNormalisedByTheStepsLabelTokens(String fixture) throws IOException {
        Path dir = FIXTURES.resolve(fixture);
        JsonNode run = new ObjectMapper().readTree(dir.resolve("training_run.json").toFile());
        JsonNode cfg = run.get("config");
        int maxLength = cfg.get("max_length").asInt(), micro = cfg.get("micro_batch_size").asInt();
        int accumulation = cfg.get("gradient_accumulation_steps").asInt();
        DataSpec spec = DataSpec.builder(dir.resolve("train.jsonl")).maxLength(maxLength).shuffle(cfg.get("shuffle").asBoolean()).build();
        TrainingData data = TrainingData.load(spec, dir.resolve("model"));

        List<int[]> full = renderedRows(dir);
        List<int[]> expected = full.stream().map(r -> Arrays.copyOf(r, Math.min(r.length, maxLength))).toList();
        assertThat(data.train()).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(data.train().get(i).inputIds()).containsExactly(expected.get(i));
            assertThat(data.train().get(i).labels()).containsExactly(expected.get(i));
        }
        assertThat(data.report().train().truncated()).isEqualTo((int) full.stream().filter(r -> r.length > maxLength).count());

        BatchPlan plan = data.trainPlan(micro);
        int epochs = cfg.get("epochs").asInt();
        assertThat(epochs * plan.optimizerStepsPerEpoch(accumulation)).isEqualTo(cfg.get("total_steps").asInt());
        List<MicroBatch> step = plan.optimizerStep(0, accumulation);
        assertThat(step).hasSize(accumulation);

        double sum = 0;
        long labelTokens = 0;
        Collator collator = data.collator();
        try (Transformer model = Transformer.load(dir.resolve("model")); var ignored = Tensor.noGrad()) {
            LoraModel.load(model, dir.resolve("adapter_init"), null);
            for (MicroBatch mb : step) {
                PaddedBatch b = collator.collate(mb.examples());
                assertThat(b.length() % Collator.DEFAULT_PAD_TO_MULTIPLE_OF).isZero();
                sum += model.causalLmLoss(b.inputIds(), b.attentionMask(), b.labels(), CrossEntropy.Reduction.SUM).item();
                labelTokens += b.labelTokens();
            }
        }
        long rowsTokens = step.stream().flatMap(mb -> mb.examples().stream()).mapToLong(e -> e.length() - 1).sum();
        assertThat(labelTokens).isEqualTo(rowsTokens);
        double want = run.get("history").get(0).get("loss").asDouble();
        assertThat(sum / labelTokens).isCloseTo(want, within(LOSS_TOLERANCE * want));
    }

    /** The fixture's data by hand: each conversation rendered and tokenized without specials. */
    private static List<int[]> renderedRows(Path dir) throws IOException {
        Tokenizer tokenizer = Tokenizer.load(dir.resolve("model"));
        ChatTemplate template = ChatTemplate.load(dir.resolve("model"));
        ObjectMapper json = new ObjectMapper();
        return Files.readAllLines(dir.resolve("train.jsonl")).stream().filter(l -> !l.isBlank()).map(line -> {
            try {
                List<Map<String, Object>> m = ChatTemplate.parseMessages(json.readTree(line).get("messages").toString(), "train.jsonl");
                return tokenizer.encode(template.renderMessages(m, false), false).ids();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }
}
