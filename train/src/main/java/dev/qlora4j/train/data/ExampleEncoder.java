package dev.qlora4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.ClassificationHead;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A data row → an {@link Example}, as TRL's SFTTrainer prepares its dataset (causal LM) or as a
 * transformers sequence-classification script tokenizes {@code text} (classifier):
 * <ul>
 * <li>{@code {"messages": [...]}}: rendered by the chat template, tokenized without added special
 *     tokens (the template writes BOS), like {@code apply_chat_template(tokenize=True)};
 * <li>{@code {"text": ...}}: tokenized with special tokens; for training, TRL's EOS token text is
 *     appended first unless the text already ends with it;
 * <li>{@code {"prompt": "...", "completion": "..."}}: prompt + completion (+ EOS text, as for
 *     text) tokenized with special tokens; the first len(tokenize(prompt)) tokens are the prompt.
 *     With lists of messages instead of strings, the prompt is rendered with the generation
 *     prompt and prompt + completion without, both without added specials, no EOS appended;
 * <li>classifier: {@code {"text", "label"}}, the text tokenized with special tokens, the label a
 *     class index or a label2id name.
 * </ul>
 * Then the labels are masked ({@link DataSpec#trainOnResponsesOnly()}), the example is cut to
 * max_length keeping its beginning, and an example with nothing left to learn is dropped (TRL
 * drops rows that truncation leaves fully masked).
 */
public final class ExampleEncoder {
    /**
     * @param maxLength            keep the first N tokens; null = all
     * @param trainOnResponsesOnly see {@link DataSpec#trainOnResponsesOnly()}
     * @param appendEos            TRL's add_eos for text and prompt/completion strings (training);
     *                             false for plain evaluation of text
     * @param lengthOption         the option a too-long row's error tells the user to set ("max_length")
     */
    public record Options(Integer maxLength, Boolean trainOnResponsesOnly, boolean appendEos, String lengthOption) {}

    /**
     * One row's outcome.
     *
     * @param example   null when dropped
     * @param truncated the row was longer than max_length
     * @param dropped   why it was dropped ("has fewer than 2 tokens", ...), null when kept
     */
    public record Encoded(Example example, boolean truncated, String dropped) {}

    private final Task task;
    private final Tokenizer tokenizer;
    private final Supplier<ChatTemplate> template;
    private final ModelConfig config;
    private final Options options;
    private final String eosText;
    private final ClassificationHead head;

    /**
     * @param template the model's chat template, asked for on the first row that needs it (it may
     *                 return null when the model has none: such a row is then an error)
     */
    public ExampleEncoder(Task task, Tokenizer tokenizer, SpecialTokens specials, Supplier<ChatTemplate> template,
                          ModelConfig config, Options options) {
        this.task = task;
        this.tokenizer = tokenizer;
        this.template = template;
        this.config = config;
        this.options = options;
        this.eosText = eosText(tokenizer, specials, config);
        this.head = task == Task.SEQUENCE_CLASSIFICATION ? singleLabelHead(config) : null;
        if (task == Task.SEQUENCE_CLASSIFICATION && Boolean.TRUE.equals(options.trainOnResponsesOnly()))
            throw BadInputException.at("train_on_responses_only", "applies to causal LM data, not to sequence classification");
    }

    /** A model folder's chat template, loaded on first use (a folder without one is an error only if a row needs it). */
    public static Supplier<ChatTemplate> templateOf(Path modelDir) {
        return new Supplier<>() {
            private ChatTemplate template;

            @Override
            public ChatTemplate get() {
                if (template == null) template = ChatTemplate.load(modelDir);
                return template;
            }
        };
    }

    public Encoded encode(DataRows.Row row) {
        if (task == Task.SEQUENCE_CLASSIFICATION) {
            int[] ids = tokenizer.encode(text(row, "text"), true).ids();
            int label = classLabel(row);
            boolean cut = options.maxLength() != null && ids.length > options.maxLength();
            if (cut) ids = Arrays.copyOf(ids, options.maxLength());
            checkPositions(row, ids.length);
            if (ids.length == 0) return new Encoded(null, false, "has no tokens");
            return new Encoded(Example.classification(row.origin(), row.id(), ids, label), cut, null);
        }
        Labelled l = causal(row);
        int[] ids = l.ids, labels = l.labels;
        boolean cut = options.maxLength() != null && ids.length > options.maxLength();
        if (cut) {
            ids = Arrays.copyOf(ids, options.maxLength());
            labels = Arrays.copyOf(labels, options.maxLength());
        }
        checkPositions(row, ids.length);
        Example e = Example.causal(row.origin(), row.id(), ids, labels);
        if (e.labelTokens() == 0)
            return new Encoded(null, cut, ids.length < 2 ? "has fewer than 2 tokens" : cut ? "has no learned token within max_length"
                    : "has no learned token");
        return new Encoded(e, cut, null);
    }

    /** Tokens and their labels before truncation. */
    private record Labelled(int[] ids, int[] labels) {}

    private Labelled causal(DataRows.Row row) {
        JsonNode n = row.node();
        boolean messages = n.has("messages"), text = n.has("text"), prompt = n.has("prompt"), completion = n.has("completion");
        int kinds = (messages ? 1 : 0) + (text ? 1 : 0) + (prompt || completion ? 1 : 0);
        if (kinds == 0) throw row.error("has none of \"messages\", \"text\", \"prompt\"/\"completion\"");
        if (kinds > 1) throw row.error("has more than one of \"messages\", \"text\", \"prompt\"/\"completion\": give one");
        Boolean responsesOnly = options.trainOnResponsesOnly();
        if (messages) return conversation(row, Boolean.TRUE.equals(responsesOnly));
        if (text) {
            if (Boolean.TRUE.equals(responsesOnly))
                throw row.error("has \"text\", which has no responses to train on: train_on_responses_only needs \"messages\" or "
                        + "\"prompt\"/\"completion\" rows");
            int[] ids = tokenizer.encode(withEos(text(row, "text")), true).ids();
            return new Labelled(ids, ids.clone());
        }
        if (!prompt) throw row.error("has \"completion\" but no \"prompt\"");
        if (!completion) throw row.error("has \"prompt\" but no \"completion\"");
        return promptCompletion(row, !Boolean.FALSE.equals(responsesOnly));
    }

    private Labelled conversation(DataRows.Row row, boolean responsesOnly) {
        List<Map<String, Object>> messages = messages(row, "messages");
        ChatTemplate t = chatTemplate(row);
        if (!responsesOnly) {
            int[] ids = tokenizer.encode(render(row, t, messages, false), false).ids();
            return new Labelled(ids, ids.clone());
        }
        AssistantSpans.Masked m;
        try {
            m = AssistantSpans.find(messages, t, tokenizer);
        } catch (AssistantSpans.NotPrefixPreserving e) {
            throw row.error("cannot be masked for train_on_responses_only: " + e.getMessage());
        } catch (BadInputException e) {
            throw row.error("cannot be rendered by the chat template: " + e.getMessage());
        }
        int[] labels = new int[m.ids().length];
        for (int i = 0; i < labels.length; i++) labels[i] = m.assistant()[i] ? m.ids()[i] : Example.IGNORE;
        return new Labelled(m.ids(), labels);
    }

    /** TRL: the prompt's own tokenization decides how many leading tokens are prompt. */
    private Labelled promptCompletion(DataRows.Row row, boolean completionOnly) {
        JsonNode p = row.node().get("prompt"), c = row.node().get("completion");
        int[] promptIds, ids;
        if (p.isTextual() && c.isTextual()) {
            promptIds = tokenizer.encode(p.textValue(), true).ids();
            ids = tokenizer.encode(p.textValue() + withEos(c.textValue()), true).ids();
        } else if (p.isArray() && c.isArray()) {
            ChatTemplate t = chatTemplate(row);
            List<Map<String, Object>> prompt = messages(row, "prompt");
            List<Map<String, Object>> all = new ArrayList<>(prompt);
            all.addAll(messages(row, "completion"));
            promptIds = tokenizer.encode(render(row, t, prompt, true), false).ids();
            ids = tokenizer.encode(render(row, t, all, false), false).ids();
        } else {
            throw row.error("has a \"prompt\" and \"completion\" that are not both strings or both lists of messages");
        }
        int[] labels = ids.clone();
        if (completionOnly) Arrays.fill(labels, 0, Math.min(promptIds.length, labels.length), Example.IGNORE);
        return new Labelled(ids, labels);
    }

    private String withEos(String s) {
        return options.appendEos() && eosText != null && !s.endsWith(eosText) ? s + eosText : s;
    }

    private ChatTemplate chatTemplate(DataRows.Row row) {
        ChatTemplate t = template.get();
        if (t == null) throw row.error("is a conversation, but the model has no chat template");
        return t;
    }

    private static String render(DataRows.Row row, ChatTemplate t, List<Map<String, Object>> messages, boolean generationPrompt) {
        try {
            return t.renderMessages(messages, generationPrompt);
        } catch (BadInputException e) {
            throw row.error("cannot be rendered by the chat template: " + e.getMessage());
        }
    }

    private static List<Map<String, Object>> messages(DataRows.Row row, String key) {
        return ChatTemplate.parseMessages(row.node().get(key).toString(), row.file() + ": " + row.place() + ", " + key);
    }

    private static String text(DataRows.Row row, String key) {
        JsonNode text = row.node().get(key);
        if (text == null) throw row.error("has no \"" + key + "\"");
        if (!text.isTextual()) throw row.error("has a \"" + key + "\" that is not a string");
        return text.textValue();
    }

    private void checkPositions(DataRows.Row row, int length) {
        if (length > config.maxPositionEmbeddings())
            throw row.error("has " + length + " tokens, more than the model's max_position_embeddings " + config.maxPositionEmbeddings()
                    + "; truncate with " + options.lengthOption());
    }

    /** A class index, or a name from config.json's label2id. */
    private int classLabel(DataRows.Row row) {
        JsonNode label = row.node().get("label");
        if (label == null || label.isNull()) throw row.error("has no \"label\"");
        if (label.isTextual()) {
            Integer id = head == null ? null : head.label2id().get(label.textValue());
            if (id == null) throw row.error("has label \"" + label.textValue() + "\", which config.json's label2id does not name "
                    + (head == null ? "[]" : head.label2id().keySet()));
            return id;
        }
        boolean inRange = label.isIntegralNumber() && label.canConvertToInt() && label.intValue() >= 0
                && (head == null || label.intValue() < head.numLabels());
        if (!inRange)
            throw row.error("has label " + label + ", expected a class index " + (head == null ? "0 or more" : "0.." + (head.numLabels() - 1))
                    + " or a label name");
        return label.intValue();
    }

    /** The head, when it is a single-label classifier (class-index labels and cross-entropy). */
    private static ClassificationHead singleLabelHead(ModelConfig config) {
        ClassificationHead head = config.classification();
        if (head == null) return null;
        String type = head.problemType() != null ? head.problemType()
                : head.numLabels() == 1 ? "regression" : "single_label_classification";
        if (!type.equals("single_label_classification"))
            throw BadInputException.at(config.file().toString(), "only single-label classification data is supported, the model's problem_type is \""
                    + type + "\"");
        return head;
    }

    /** The text TRL appends: tokenizer_config's eos_token, else config.json's first eos id's token. */
    private static String eosText(Tokenizer tokenizer, SpecialTokens specials, ModelConfig config) {
        if (specials.eos().isPresent()) return specials.eos().get().content();
        if (config.tokenIds().eos().isEmpty()) return null;
        return tokenizer.idToToken(config.tokenIds().eos().getFirst()).orElse(null);
    }
}
