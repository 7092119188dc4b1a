package dev.qlora4j.train.data;

import dev.qlora4j.tensor.BadInputException;

/** How a data file is read ({@code data_format}). */
public enum DataFormat {
    /**
     * JSON Lines or one JSON array of objects; each row's keys say what it is: {@code messages},
     * {@code text}, {@code prompt} + {@code completion}, or (classification) {@code text} + {@code label};
     * a row with {@code input_ids} is pre-tokenized ({@link #TOKENIZED}), whatever else it has.
     */
    ROWS("auto"),
    /** As {@link #ROWS}, every row a {@code {"messages": [...]}} conversation. */
    MESSAGES("messages"),
    /** As {@link #ROWS}, every row a {@code {"text": ...}}. */
    TEXT("text"),
    /** As {@link #ROWS}, every row a {@code {"prompt": ..., "completion": ...}}. */
    PROMPT_COMPLETION("prompt_completion"),
    /**
     * As {@link #ROWS}, every row pre-tokenized as transformers' Trainer takes it:
     * {@code {"input_ids": [...], "attention_mask"?: [...], "labels"?: [...]}} (causal LM) or
     * {@code {"input_ids": [...], "attention_mask"?: [...], "label": ...}} (classification).
     */
    TOKENIZED("tokenized"),
    /**
     * The LMSYS Chatbot Arena CSV (id, model_a, model_b, prompt, response_a, response_b,
     * winner_model_a, winner_model_b, winner_tie) as a 3-class sequence-classification set.
     */
    PREFERENCE_PAIR("preference_pair");

    private final String key;

    DataFormat(String key) {
        this.key = key;
    }

    /** The config value. */
    public String key() {
        return key;
    }

    /** The keys every row of this format must have; none for auto and preference_pair. */
    public java.util.List<String> requiredKeys() {
        return switch (this) {
            case MESSAGES -> java.util.List.of("messages");
            case TEXT -> java.util.List.of("text");
            case PROMPT_COMPLETION -> java.util.List.of("prompt", "completion");
            case TOKENIZED -> java.util.List.of("input_ids");
            default -> java.util.List.of();
        };
    }

    /** A {@code data_format} value: "auto" (also "json", "jsonl"; null = auto), "messages", "text", "prompt_completion", "tokenized" or "preference_pair". */
    public static DataFormat parse(String value) {
        if (value == null) return ROWS;
        return switch (value) {
            case "auto", "json", "jsonl" -> ROWS;
            case "preference_pair" -> PREFERENCE_PAIR;
            case "messages" -> MESSAGES;
            case "text" -> TEXT;
            case "prompt_completion" -> PROMPT_COMPLETION;
            case "tokenized" -> TOKENIZED;
            default -> throw BadInputException.at("data_format",
                    "unknown data format \"" + value + "\", expected \"auto\", \"json\", \"jsonl\", \"messages\", \"text\", "
                            + "\"prompt_completion\", \"tokenized\" or \"preference_pair\"");
        };
    }
}
