package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.ClassificationHead;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.eval.CausalLmEvaluator;
import dev.qlora4j.train.eval.ClassifierEvaluator;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * {@code eval --model DIR --data FILE}: the loss of a model on a data file. A causal LM reads
 * {@code {"text": ...}} rows (encoded with special tokens, as HF's tokenizer call does) or
 * {@code {"messages": [...]}} rows (rendered by the chat template, encoded without added
 * specials) and reports the mean next-token cross-entropy over every predicted token; a sequence
 * classifier reads {@code {"text", "label"}} rows and reports mean cross-entropy and accuracy.
 */
final class EvalCommand implements Main.Command {
    private static final int DEFAULT_BATCH_SIZE = 8;

    @Override
    public String summary() {
        return "loss and perplexity of a causal LM (or loss and accuracy of a classifier) on a JSONL data file";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public Set<String> options() {
        return Set.of("model", "data", "batch-size", "max-length", "adapter", "device");
    }

    @Override
    public Object run(Args args, PrintStream out) throws Exception {
        ModelOptions.checkDevice(args);
        Path dir = ModelOptions.modelDir(args), adapter = ModelOptions.adapterDir(args);
        Path data = Path.of(TokenizeCommand.required(args, "data"));
        int batchSize = args.getInt("batch-size", DEFAULT_BATCH_SIZE);
        if (batchSize < 1) throw new UserError("--batch-size must be at least 1 (got " + batchSize + ")");
        int maxLength = args.getInt("max-length", Integer.MAX_VALUE);
        if (maxLength < 1) throw new UserError("--max-length must be at least 1 (got " + maxLength + ")");
        ModelConfig config = ModelConfig.load(dir);
        Tokenizer tokenizer = Tokenizer.load(dir);
        List<DataRows.Row> rows = DataRows.read(data);
        Map<String, Object> result = new LinkedHashMap<>();
        if (config.task() == Task.CAUSAL_LM) {
            List<int[]> sequences = new ArrayList<>();
            ChatTemplate[] template = new ChatTemplate[1];   // loaded on the first "messages" row
            for (DataRows.Row row : rows) sequences.add(fit(row, causalTokens(row, dir, tokenizer, template), maxLength, config));
            int pad = padId(dir, config, tokenizer);
            CausalLmEvaluator.Result r;
            try (Transformer model = ModelOptions.load(dir, adapter)) {
                r = CausalLmEvaluator.evaluate(model, sequences, batchSize, pad, progress(out, rows.size()));
            }
            if (r.tokens() == 0) throw new UserError("no row has two or more tokens: nothing to predict (" + data + ")");
            out.printf("loss %.6f, perplexity %.4f over %,d predicted tokens%n", r.loss(), r.perplexity(), r.tokens());
            result.put("loss", r.loss());
            result.put("perplexity", r.perplexity());
            result.put("tokens", r.tokens());
        } else {
            ClassificationHead head = singleLabel(config);
            List<int[]> sequences = new ArrayList<>();
            int[] labels = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                DataRows.Row row = rows.get(i);
                sequences.add(fit(row, tokenizer.encode(text(row), true).ids(), maxLength, config));
                labels[i] = label(row, head);
            }
            Integer pad = config.tokenIds().pad();
            ClassifierEvaluator.Result r;
            try (Transformer model = ModelOptions.load(dir, adapter)) {
                // without pad_token_id only one-row batches work; the model says so for larger ones
                r = ClassifierEvaluator.evaluate(model, sequences, labels, batchSize, pad == null ? 0 : pad, progress(out, rows.size()));
            }
            out.printf("loss %.6f, accuracy %.4f over %,d examples%n", r.loss(), r.accuracy(), r.examples());
            result.put("loss", r.loss());
            result.put("accuracy", r.accuracy());
            result.put("examples", r.examples());
        }
        return result;
    }

    private static IntConsumer progress(PrintStream out, int total) {
        return done -> out.printf("evaluated %d/%d rows%n", done, total);
    }

    private static int[] causalTokens(DataRows.Row row, Path dir, Tokenizer tokenizer, ChatTemplate[] template) {
        JsonNode node = row.node();
        boolean hasText = node.has("text"), hasMessages = node.has("messages");
        if (hasText && hasMessages) throw row.error("has both \"text\" and \"messages\": give one");
        if (hasText) return tokenizer.encode(text(row), true).ids();
        if (!hasMessages) throw row.error("has neither \"text\" nor \"messages\"");
        if (template[0] == null) template[0] = ChatTemplate.load(dir);
        String where = row.file() + ": " + row.place() + ", messages";
        String rendered = template[0].renderMessages(ChatTemplate.parseMessages(node.get("messages").toString(), where), false);
        return tokenizer.encode(rendered, false).ids();
    }

    private static String text(DataRows.Row row) {
        JsonNode text = row.node().get("text");
        if (text == null) throw row.error("has no \"text\"");
        if (!text.isTextual()) throw row.error("has a \"text\" that is not a string");
        return text.textValue();
    }

    /** The first {@code maxLength} tokens, which must fit the model's positions. */
    private static int[] fit(DataRows.Row row, int[] ids, int maxLength, ModelConfig config) {
        int[] kept = ids.length > maxLength ? Arrays.copyOf(ids, maxLength) : ids;
        if (kept.length > config.maxPositionEmbeddings())
            throw row.error("has " + kept.length + " tokens, more than the model's max_position_embeddings "
                    + config.maxPositionEmbeddings() + "; truncate with --max-length");
        return kept;
    }

    /** Padding is masked out, so any real token does; the tokenizer's pad, else config.json's, else an end token. */
    private static int padId(Path dir, ModelConfig config, Tokenizer tokenizer) {
        SpecialTokens specials = SpecialTokens.load(dir, tokenizer);
        if (specials.pad().isPresent()) return specials.pad().get().id();
        if (config.tokenIds().pad() != null) return config.tokenIds().pad();
        if (specials.eos().isPresent()) return specials.eos().get().id();
        return config.tokenIds().eos().isEmpty() ? 0 : config.tokenIds().eos().getFirst();
    }

    private static ClassificationHead singleLabel(ModelConfig config) {
        ClassificationHead head = config.classification();
        String type = head.problemType() != null ? head.problemType()
                : head.numLabels() == 1 ? "regression" : "single_label_classification";
        if (!type.equals("single_label_classification"))
            throw BadInputException.at(config.file().toString(), "eval supports single-label classification, the model's problem_type is \""
                    + type + "\"");
        return head;
    }

    /** A class index, or a name from config.json's label2id. */
    private static int label(DataRows.Row row, ClassificationHead head) {
        JsonNode label = row.node().get("label");
        if (label == null || label.isNull()) throw row.error("has no \"label\"");
        if (label.isTextual()) {
            Integer id = head.label2id().get(label.textValue());
            if (id == null) throw row.error("has label \"" + label.textValue() + "\", which config.json's label2id does not name "
                    + head.label2id().keySet());
            return id;
        }
        if (!label.isIntegralNumber() || !label.canConvertToInt() || label.intValue() < 0 || label.intValue() >= head.numLabels())
            throw row.error("has label " + label + ", expected a class index 0.." + (head.numLabels() - 1) + " or a label name");
        return label.intValue();
    }
}
