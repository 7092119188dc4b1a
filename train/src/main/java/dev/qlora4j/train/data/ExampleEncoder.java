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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A data row → an {@link Example}, as TRL's SFTTrainer prepares its dataset (causal LM) or as a
 * transformers sequence-classification script tokenizes {@code text} (classifier):
 * <ul>
 * <li>{@code {"messages": [...]}}: rendered by the chat template, tokenized without added special
 *     tokens (the template writes BOS), like {@code apply_chat_template(tokenize=True)}; a row's
 *     {@code tools} (TRL's column) goes to the template as {@code tools}, and
 *     {@link Options#templateVariables} ({@code chat_template_kwargs}) to every conversation;
 * <li>{@code {"text": ...}}: tokenized with special tokens; for training, TRL's EOS token text is
 *     appended first unless the text already ends with it;
 * <li>{@code {"prompt": "...", "completion": "..."}}: prompt + completion (+ EOS text, as for
 *     text) tokenized with special tokens; the first len(tokenize(prompt)) tokens are the prompt.
 *     With lists of messages instead of strings, the prompt is rendered with the generation
 *     prompt and prompt + completion without, both without added specials, no EOS appended;
 * <li>classifier: {@code {"text", "label"}}, the text tokenized with special tokens, the label a
 *     class index or a label2id name;
 * <li>pre-tokenized, as transformers' Trainer takes a tokenized dataset (any row with
 *     {@code input_ids}, whatever else it has): {@code {"input_ids", "attention_mask"?, "labels"?}}
 *     (causal LM) or {@code {"input_ids", "attention_mask"?, "label"}} (classifier). Positions
 *     where attention_mask is 0 are dropped first (from input_ids and labels); labels default to
 *     input_ids, −100 stays ignored; nothing is added (no chat template, no EOS, no specials).
 *     Every id must lie in config.json's vocabulary; ids at dropped positions need only be integers.
 * </ul>
 * Then the labels are masked ({@link DataSpec#trainOnResponsesOnly()}), the example is cut to
 * max_length keeping its beginning, and an example with nothing left to learn is dropped (TRL
 * drops rows that truncation leaves fully masked).
 */
public final class ExampleEncoder {
    /**
     * @param maxLength            keep the first N tokens; null = all
     * @param trainOnResponsesOnly see {@link DataSpec#trainOnResponsesOnly()}
     * @param appendEos            TRL's add_eos for text and prompt/completion strings (training:
     *                             {@link DataSpec#addEosToken()}, add_eos_token);
     *                             false for plain evaluation of text
     * @param lengthOption         the option a too-long row's error tells the user to set ("max_length")
     * @param templateVariables    further chat template variables for every conversation row
     *                             ({@link DataSpec#chatTemplateKwargs()}); a row's {@code tools} wins over
     *                             a {@code tools} here
     */
    public record Options(Integer maxLength, Boolean trainOnResponsesOnly, boolean appendEos, String lengthOption,
                          Map<String, ?> templateVariables) {
        public Options {
            if (templateVariables == null) templateVariables = Map.of();
        }
    }

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
            int[] ids = isTokenized(row) ? tokenized(row, false).ids : tokenizer.encode(text(row, "text"), true).ids();
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
        if (isTokenized(row)) {
            if (Boolean.TRUE.equals(options.trainOnResponsesOnly()))
                throw row.error("has \"input_ids\", and train_on_responses_only " + DataSpec.TOKENIZED_RESPONSES_ONLY);
            return tokenized(row, true);
        }
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

    /** A pre-tokenized row: one with {@code input_ids}. */
    private static boolean isTokenized(DataRows.Row row) {
        return row.node().has("input_ids");
    }

    /**
     * A pre-tokenized row's ids (and, for a causal LM, labels) with the attention_mask-0 positions
     * dropped; labels default to the ids.
     */
    private Labelled tokenized(DataRows.Row row, boolean withLabels) {
        JsonNode n = row.node();
        JsonNode idsNode = n.get("input_ids");
        if (!idsNode.isArray()) throw row.error("has an \"input_ids\" that is not a list of token ids");
        int length = idsNode.size();
        JsonNode maskNode = n.get("attention_mask");
        boolean[] keep = new boolean[length];
        Arrays.fill(keep, true);
        if (maskNode != null && !maskNode.isNull()) {
            if (!maskNode.isArray()) throw row.error("has an \"attention_mask\" that is not a list of 0s and 1s");
            if (maskNode.size() != length)
                throw row.error("has " + maskNode.size() + " attention_mask values for " + length + " input_ids");
            for (int i = 0; i < length; i++) {
                JsonNode m = maskNode.get(i);
                if (!m.isIntegralNumber() || !(m.asLong() == 0 || m.asLong() == 1))
                    throw row.error("has attention_mask[" + i + "] = " + m + ", expected 0 or 1");
                keep[i] = m.asLong() == 1;
            }
        }
        JsonNode labelsNode = withLabels ? n.get("labels") : null;
        if (labelsNode != null && !labelsNode.isNull()) {
            if (!labelsNode.isArray()) throw row.error("has a \"labels\" that is not a list of token ids");
            if (labelsNode.size() != length) throw row.error("has " + labelsNode.size() + " labels for " + length + " input_ids");
        } else {
            labelsNode = null;
        }
        int kept = 0;
        for (boolean k : keep) if (k) kept++;
        int[] ids = new int[kept], labels = new int[kept];
        for (int i = 0, j = 0; i < length; i++) {
            int id = tokenId(row, "input_ids", i, idsNode.get(i), keep[i], false);
            int label = labelsNode == null ? id : tokenId(row, "labels", i, labelsNode.get(i), keep[i], true);
            if (!keep[i]) continue;
            ids[j] = id;
            labels[j++] = label;
        }
        if (length == 0) throw row.error("has an empty \"input_ids\"");
        if (kept == 0) throw row.error("has no input_ids left: attention_mask is 0 at every position");
        return new Labelled(ids, withLabels ? labels : null);
    }

    /**
     * {@code field[i]}: an integer, and where the position is kept ({@code inVocabulary}) a token
     * id of the model's vocabulary, or {@link Example#IGNORE} when {@code ignoreAllowed}; 0 at a
     * dropped position.
     */
    private int tokenId(DataRows.Row row, String field, int i, JsonNode v, boolean inVocabulary, boolean ignoreAllowed) {
        String orIgnore = ignoreAllowed ? " or " + Example.IGNORE : "";
        if (!v.isIntegralNumber())
            throw row.error("has " + field + "[" + i + "] = " + v + ", which is not an integer token id" + orIgnore);
        if (!inVocabulary) return 0;   // a dropped position: only its type matters
        if (ignoreAllowed && v.canConvertToInt() && v.intValue() == Example.IGNORE) return Example.IGNORE;
        if (!v.canConvertToInt() || v.intValue() < 0 || v.intValue() >= config.vocabSize())
            throw row.error("has " + field + "[" + i + "] = " + v + ", outside the vocabulary 0.." + (config.vocabSize() - 1)
                    + " (config.json's vocab_size " + config.vocabSize() + ")" + (ignoreAllowed ? " and not " + Example.IGNORE : ""));
        return v.intValue();
    }

    private Labelled conversation(DataRows.Row row, boolean responsesOnly) {
        List<Map<String, Object>> messages = messages(row, "messages");
        Map<String, Object> vars = variables(row);
        ChatTemplate t = chatTemplate(row);
        if (!responsesOnly) {
            int[] ids = tokenizer.encode(render(row, t, messages, false, vars), false).ids();
            return new Labelled(ids, ids.clone());
        }
        AssistantSpans.Masked m;
        try {
            m = AssistantSpans.find(messages, vars, t, tokenizer);
        } catch (AssistantSpans.Unlocatable e) {
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
            List<Map<String, Object>> prompt = messages(row, "prompt");
            List<Map<String, Object>> all = new ArrayList<>(prompt);
            all.addAll(messages(row, "completion"));
            Map<String, Object> vars = variables(row);
            ChatTemplate t = chatTemplate(row);
            promptIds = tokenizer.encode(render(row, t, prompt, true, vars), false).ids();
            ids = tokenizer.encode(render(row, t, all, false, vars), false).ids();
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

    /** A conversation row's template variables: the options' (chat_template_kwargs), and the row's {@code tools} when it has some. */
    private Map<String, Object> variables(DataRows.Row row) {
        Map<String, Object> vars = new LinkedHashMap<>(options.templateVariables());
        JsonNode tools = row.node().get("tools");
        String problem = TemplateVariables.toolsProblem(tools);
        if (problem != null) throw row.error("has a \"tools\" that " + problem);
        if (tools != null && !tools.isNull()) vars.put("tools", TemplateVariables.value(tools));
        return vars;
    }

    private static String render(DataRows.Row row, ChatTemplate t, List<Map<String, Object>> messages, boolean generationPrompt,
                                 Map<String, Object> vars) {
        try {
            return t.renderMessages(messages, generationPrompt, vars);
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
