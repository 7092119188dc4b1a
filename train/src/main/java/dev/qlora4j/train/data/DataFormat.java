package dev.qlora4j.train.data;

import dev.qlora4j.tensor.BadInputException;

/** How a data file is read ({@code data_format}). */
public enum DataFormat {
    /**
     * JSON Lines or one JSON array of objects; each row's keys say what it is: {@code messages},
     * {@code text}, {@code prompt} + {@code completion}, or (classification) {@code text} + {@code label}.
     */
    ROWS("auto"),
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

    /** A {@code data_format} value: "auto" (also "json", "jsonl"; null = auto) or "preference_pair". */
    public static DataFormat parse(String value) {
        if (value == null) return ROWS;
        return switch (value) {
            case "auto", "json", "jsonl" -> ROWS;
            case "preference_pair" -> PREFERENCE_PAIR;
            default -> throw BadInputException.at("data_format",
                    "unknown data format \"" + value + "\", expected \"auto\", \"json\", \"jsonl\" or \"preference_pair\"");
        };
    }
}
