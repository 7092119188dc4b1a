package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.DataReport;
import dev.qlora4j.train.data.DataRows;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.ExampleEncoder;
import dev.qlora4j.train.data.TrainingData;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code --data} file of {@code eval} and {@code predict} ({@link DataOptions}) as examples of the model's task:
 * {@code --data-format} (auto, a row format, or preference_pair), malformed CSV records reported and skipped,
 * every token counted and no EOS appended (the rows as they are, not training examples made from
 * them; pre-tokenized rows with their own labels and attention_mask; a conversation row's {@code tools}
 * go to its chat template), {@code --max-length} cutting each row.
 *
 * @param rows     the rows each example came from, in the same order
 * @param labelled every row has a label (classifiers; a causal LM's rows are always "labelled")
 */
record RowData(Path file, ModelConfig config, SpecialTokens specials, DataFormat format, List<DataRows.Row> rows, List<Example> examples, boolean labelled) {
    static final int DEFAULT_BATCH_SIZE = 8;

    /** @param labelsOptional a classifier's rows may lack a label (prediction); they get class 0, unused */
    static RowData load(DataOptions options, Path modelDir, PrintStream out, boolean labelsOptional) {
        Path data = options.data;
        int maxLength = options.maxLength();
        ModelConfig config = ModelConfig.load(modelDir);
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        SpecialTokens specials = SpecialTokens.load(modelDir, tokenizer);
        String formatName = options.dataFormat;
        DataFormat format;
        try {
            format = DataFormat.parse(formatName);
        } catch (BadInputException e) {
            throw new UserError("--data-format must be auto, messages, text, prompt_completion, tokenized or preference_pair (got \""
                    + formatName + "\")");
        }
        List<DataReport.FileStats> stats = new ArrayList<>();
        List<DataRows.Row> rows = TrainingData.read(data, format, stats);
        if (format == DataFormat.PREFERENCE_PAIR && config.task() != Task.SEQUENCE_CLASSIFICATION)
            throw new UserError("--data-format preference_pair is 3-class data for a sequence classifier; " + modelDir + " is a causal LM");
        for (DataReport.FileStats f : stats)
            if (f.malformed().count() > 0) out.println(f.file() + ": skipped malformed rows: " + f.malformed());
        ExampleEncoder encoder = new ExampleEncoder(config.task(), tokenizer, specials, ExampleEncoder.templateOf(modelDir), config,
                new ExampleEncoder.Options(maxLength, false, false, "--max-length", Map.of()));
        List<Example> examples = new ArrayList<>();
        List<DataRows.Row> kept = new ArrayList<>();
        boolean labelled = true;
        for (DataRows.Row row : rows) {
            DataRows.Row toEncode = row;
            if (labelsOptional && config.task() == Task.SEQUENCE_CLASSIFICATION && !row.node().hasNonNull("label")) {
                labelled = false;
                ObjectNode withClass = row.node().deepCopy();
                withClass.put("label", 0);
                toEncode = new DataRows.Row(withClass, row.place(), row.file(), row.id());
            }
            Example e = encoder.encode(toEncode).example();
            if (e != null) {
                examples.add(e);
                kept.add(row);
            }
        }
        return new RowData(data, config, specials, format, kept, examples, labelled);
    }
}
