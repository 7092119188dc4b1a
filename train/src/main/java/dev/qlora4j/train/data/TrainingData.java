package dev.qlora4j.train.data;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The training and evaluation examples of a run, loaded as a {@link DataSpec} says: files read,
 * the evaluation set chosen (eval_file, else fold, else validation_split), the fraction of the
 * training rows taken, rows tokenized and masked ({@link ExampleEncoder}), max_eval_samples applied.
 * Everything random is drawn from the spec's seed, so a load is reproducible.
 *
 * @param task  what the examples are for (the spec's task, else the model's)
 * @param padId the id written at padding ({@link PadIds}); null for a classifier whose config has
 *              no pad_token_id
 */
public record TrainingData(DataSpec spec, Task task, List<Example> train, List<Example> eval, Integer padId, DataReport report) {
    public TrainingData {
        train = List.copyOf(train);
        eval = List.copyOf(eval);
    }

    /** The same data with other training examples (packs, see {@link Packing}). */
    public TrainingData withTrain(List<Example> examples) {
        return new TrainingData(spec, task, examples, eval, padId, report);
    }

    /** Loads with the tokenizer, special tokens, chat template and config.json of a model folder. */
    public static TrainingData load(DataSpec spec, Path modelDir) {
        ModelConfig config = ModelConfig.load(modelDir);   // first: a folder without config.json is not a model folder
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        return load(spec, tokenizer, SpecialTokens.load(modelDir, tokenizer), ExampleEncoder.templateOf(modelDir), config);
    }

    /**
     * @param chatTemplate the model's chat template, or null when it has none (conversation rows are then an error)
     */
    public static TrainingData load(DataSpec spec, Tokenizer tokenizer, SpecialTokens specials, ChatTemplate chatTemplate,
                                    ModelConfig config) {
        return load(spec, tokenizer, specials, () -> chatTemplate, config);
    }

    private static TrainingData load(DataSpec spec, Tokenizer tokenizer, SpecialTokens specials, Supplier<ChatTemplate> template,
                                     ModelConfig config) {
        Task task = spec.task() != null ? spec.task() : config.task();
        if (task == Task.SEQUENCE_CLASSIFICATION && Boolean.TRUE.equals(spec.trainOnResponsesOnly()))
            throw BadInputException.at("train_on_responses_only", "applies to causal LM data, not to sequence classification");
        if (spec.dataFormat() == DataFormat.PREFERENCE_PAIR && task != Task.SEQUENCE_CLASSIFICATION)
            throw BadInputException.at("data_format", "preference_pair data has 3 classes (a wins, b wins, tie) for a sequence "
                    + "classifier; the task is " + task.label());
        List<DataReport.FileStats> files = new ArrayList<>();
        List<DataRows.Row> rows = read(spec.trainFile(), spec.dataFormat(), files);
        Splits.Split split;
        if (spec.evalFile() != null) split = new Splits.Split(rows, read(spec.evalFile(), spec.dataFormat(), files));
        else if (spec.numFolds() != null) split = Splits.fold(rows, spec.fold(), spec.numFolds());
        else if (spec.validationSplit() > 0) split = Splits.holdOut(rows, spec.validationSplit(), spec.seed());
        else split = new Splits.Split(rows, List.of());

        ExampleEncoder encoder = new ExampleEncoder(task, tokenizer, specials, template, config,
                new ExampleEncoder.Options(spec.maxLength(), spec.trainOnResponsesOnly(), spec.addEosToken(), "max_length",
                        spec.chatTemplateKwargs()));
        List<DataRows.Row> trainRows = Splits.sample(split.train(), spec.fraction(), spec.seed());
        EncodedSet train = EncodedSet.of(encoder, trainRows, Integer.MAX_VALUE);
        int evalCap = spec.maxEvalSamples() == null ? Integer.MAX_VALUE : spec.maxEvalSamples();
        EncodedSet eval = EncodedSet.of(encoder, split.eval(), evalCap);
        if (train.examples.isEmpty())
            throw BadInputException.at(spec.trainFile().toString(), "no training example is left: every row was dropped with nothing to learn "
                    + train.dropped.issues());
        if (!split.eval().isEmpty() && eval.examples.isEmpty())
            throw BadInputException.at(spec.evalSource(), "no evaluation example is left: every row was dropped with nothing to learn "
                    + eval.dropped.issues());
        DataReport report = new DataReport(spec.evalSource(), files,
                train.stats(split.train().size(), split.train().size() - trainRows.size()),
                split.eval().isEmpty() ? DataReport.SetStats.empty() : eval.stats(split.eval().size(), eval.leftOut));
        Integer padId = task == Task.CAUSAL_LM ? Integer.valueOf(PadIds.causal(specials, config)) : PadIds.classifier(config);
        return new TrainingData(spec, task, train.examples, eval.examples, padId, report);
    }

    /** The collator for these examples: right padding to a multiple of 8. */
    public Collator collator() {
        return new Collator(task, padId, Collator.DEFAULT_PAD_TO_MULTIPLE_OF);
    }

    /** The training micro-batches, shuffled per epoch as the spec says. */
    public BatchPlan trainPlan(int microBatchSize) {
        return trainPlan(microBatchSize, 0, false);
    }

    /**
     * @param lengthGroup examples per optimizer step when grouping by length ({@code group_by_length}), else 0
     * @param dropLast    {@code dataloader_drop_last}: each epoch's last partial micro-batch is left out
     */
    public BatchPlan trainPlan(int microBatchSize, int lengthGroup, boolean dropLast) {
        return new BatchPlan(train, microBatchSize, spec.shuffle(), spec.seed(), lengthGroup, dropLast);
    }

    /**
     * The rows of one data file as {@code format} reads it (a preference_pair CSV's malformed rows
     * are skipped); {@code files} gets the file's row and malformed-row counts.
     */
    public static List<DataRows.Row> read(Path file, DataFormat format, List<DataReport.FileStats> files) {
        if (format == DataFormat.PREFERENCE_PAIR) {
            ArenaCsv.Result r = ArenaCsv.read(file);
            files.add(new DataReport.FileStats(file, r.rows().size(), r.malformed()));
            return r.rows();
        }
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv") && Files.isRegularFile(file))
            throw BadInputException.at(file.toString(), "a CSV file is read with data_format \"preference_pair\"; data_format \"auto\" reads JSON rows");
        List<DataRows.Row> rows = DataRows.read(file);
        for (DataRows.Row row : rows)
            for (String key : format.requiredKeys())
                if (!row.node().has(key)) throw row.error("has no \"" + key + "\", which data_format \"" + format.key() + "\" asks for");
        files.add(new DataReport.FileStats(file, rows.size(), RowIssues.none()));
        return rows;
    }

    /** One set's examples and what happened to its rows. */
    private record EncodedSet(List<Example> examples, RowIssues.Counter dropped, int truncated, int leftOut) {
        static EncodedSet of(ExampleEncoder encoder, List<DataRows.Row> rows, int cap) {
            List<Example> examples = new ArrayList<>();
            RowIssues.Counter dropped = new RowIssues.Counter();
            int truncated = 0, used = 0;
            for (DataRows.Row row : rows) {
                if (examples.size() == cap) break;
                used++;
                ExampleEncoder.Encoded e = encoder.encode(row);
                if (e.truncated()) truncated++;
                if (e.example() != null) examples.add(e.example());
                else dropped.add(row.place() + " (" + e.dropped() + ")");
            }
            return new EncodedSet(examples, dropped, truncated, rows.size() - used);
        }

        DataReport.SetStats stats(int rows, int leftOut) {
            long tokens = 0, labelTokens = 0;
            for (Example e : examples) {
                tokens += e.length();
                labelTokens += e.labelTokens();
            }
            return new DataReport.SetStats(rows, leftOut, dropped.issues(), truncated, examples.size(), tokens, labelTokens);
        }
    }
}
