package dev.qlora4j.train.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The data options of {@code eval} and {@code predict}, mixed into each; {@link RowData#load} reads the file they name. */
final class DataOptions {
    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "the rows: JSONL or one JSON array (text, messages, prompt/completion, text+label, input_ids), or the arena CSV")
    Path data;

    @Option(names = "--data-format", paramLabel = "FORMAT",
            description = "auto, messages, text, prompt_completion, tokenized or preference_pair (the arena CSV) (default: ${DEFAULT-VALUE})")
    String dataFormat = "auto";

    @Option(names = "--max-length", paramLabel = "N", description = "keep each row's first N tokens (default: all of them)")
    Integer maxLength;

    @Option(names = "--batch-size", paramLabel = "N", description = "rows per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize = RowData.DEFAULT_BATCH_SIZE;

    /** {@code --max-length}, at least 1; {@link Integer#MAX_VALUE} when not given. */
    int maxLength() {
        if (maxLength == null) return Integer.MAX_VALUE;
        if (maxLength < 1) throw new UserError("--max-length must be at least 1 (got " + maxLength + ")");
        return maxLength;
    }

    int batchSize() {
        if (batchSize < 1) throw new UserError("--batch-size must be at least 1 (got " + batchSize + ")");
        return batchSize;
    }
}
