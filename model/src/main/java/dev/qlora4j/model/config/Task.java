package dev.qlora4j.model.config;

/** What the checkpoint's head does, read from the suffix of its architecture class name. */
public enum Task {
    /** {@code *ForCausalLM}: lm_head over the vocabulary, next-token loss. */
    CAUSAL_LM("ForCausalLM", "causal-lm"),
    /** {@code *ForSequenceClassification}: a bias-free {@code score} head read at each row's last non-pad token. */
    SEQUENCE_CLASSIFICATION("ForSequenceClassification", "sequence-classification");

    private final String suffix;
    private final String label;

    Task(String suffix, String label) {
        this.suffix = suffix;
        this.label = label;
    }

    public String architectureSuffix() {
        return suffix;
    }

    /** A short name for summaries and the command line. */
    public String label() {
        return label;
    }
}
