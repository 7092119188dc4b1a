package dev.qlora4j.train.data;

import dev.qlora4j.model.config.Task;
import dev.qlora4j.tensor.BadInputException;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training config's data keys. Errors name the key.
 *
 * @param trainFile            {@code train_file}: JSONL / JSON array, or a CSV for preference_pair
 * @param evalFile             {@code eval_file} or null; when given, validation_split is not used
 * @param validationSplit      {@code validation_split}: share of the training rows held out for
 *                             evaluation (seeded random split, the held-out count rounded up as
 *                             datasets' train_test_split rounds it); 0 = none
 * @param maxEvalSamples       {@code max_eval_samples}: keep the first N evaluation examples; null = all
 * @param maxLength            {@code max_length}: keep each example's first N tokens (and labels); null = no cut
 * @param dataFormat           {@code data_format}
 * @param trainOnResponsesOnly {@code train_on_responses_only} (TRL: {@code assistant_only_loss},
 *                             {@code completion_only_loss}): true = loss only on assistant turns
 *                             ({@code messages}) or the completion ({@code prompt}/{@code completion});
 *                             false = loss on every token; null = TRL's defaults: every token for
 *                             {@code messages} and {@code text}, the completion only for prompt/completion rows;
 *                             true is an error for {@code tokenized} rows, which carry their own labels
 * @param addEosToken          {@code add_eos_token}: append the EOS token text to {@code text} and
 *                             {@code prompt}/{@code completion} strings, as TRL's SFTTrainer does
 *                             (unless the text already ends with it); false = as plain transformers'
 *                             Trainer, nothing appended. Conversations and tokenized rows never get one
 * @param chatTemplateKwargs   {@code chat_template_kwargs}: further chat template variables for every
 *                             conversation row (training and evaluation), as TRL passes
 *                             {@code apply_chat_template} its kwargs; a row's own {@code tools} wins
 *                             over a {@code tools} here. Empty = none
 * @param fraction             {@code fraction}: train on a seeded random share of the training rows (0, 1]
 * @param fold                 {@code fold}: with numFolds, evaluate on the rows whose id % num_folds == fold
 *                             and train on the others; null = no folds
 * @param numFolds             {@code num_folds}
 * @param shuffle              {@code shuffle}: a new seeded order of the training examples each epoch;
 *                             false keeps file order
 * @param seed                 {@code seed}: drives the split, the fraction and the epoch orders
 * @param task                 {@code task}: what the rows are for; null = the model's (config.json's architecture)
 */
public record DataSpec(Path trainFile, Path evalFile, double validationSplit, Integer maxEvalSamples, Integer maxLength,
                       DataFormat dataFormat, Boolean trainOnResponsesOnly, boolean addEosToken,
                       Map<String, Object> chatTemplateKwargs, double fraction, Integer fold, Integer numFolds,
                       boolean shuffle, long seed, Task task) {
    /** transformers' TrainingArguments.seed default. */
    public static final long DEFAULT_SEED = 42;

    public DataSpec {
        if (trainFile == null) throw BadInputException.at("train_file", "no training data file given");
        if (dataFormat == null) dataFormat = DataFormat.ROWS;
        // JSON null values stay: a template may tell None from absent
        chatTemplateKwargs = chatTemplateKwargs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplateKwargs));
        if (!(validationSplit >= 0 && validationSplit < 1))
            throw BadInputException.at("validation_split", "must be at least 0 and below 1, got " + validationSplit);
        if (maxEvalSamples != null && maxEvalSamples < 1)
            throw BadInputException.at("max_eval_samples", "must be at least 1, got " + maxEvalSamples);
        if (maxLength != null && maxLength < 1) throw BadInputException.at("max_length", "must be at least 1, got " + maxLength);
        if (!(fraction > 0 && fraction <= 1)) throw BadInputException.at("fraction", "must be above 0 and at most 1, got " + fraction);
        if ((fold == null) != (numFolds == null))
            throw BadInputException.at(fold == null ? "fold" : "num_folds", "fold and num_folds go together: give both or neither");
        if (numFolds != null) {
            if (numFolds < 2) throw BadInputException.at("num_folds", "must be at least 2, got " + numFolds);
            if (fold < 0 || fold >= numFolds)
                throw BadInputException.at("fold", "must be in 0.." + (numFolds - 1) + " for num_folds " + numFolds + ", got " + fold);
            if (evalFile != null) throw BadInputException.at("fold", "fold and eval_file both choose the evaluation set: give one");
            if (validationSplit > 0)
                throw BadInputException.at("fold", "fold and validation_split both choose the evaluation set: give one");
        }
        if (Boolean.TRUE.equals(trainOnResponsesOnly) && task == Task.SEQUENCE_CLASSIFICATION)
            throw BadInputException.at("train_on_responses_only", "applies to causal LM data, not to sequence classification");
        if (Boolean.TRUE.equals(trainOnResponsesOnly) && dataFormat == DataFormat.TOKENIZED)
            throw BadInputException.at("train_on_responses_only", TOKENIZED_RESPONSES_ONLY);
    }

    /** Why train_on_responses_only does not go with pre-tokenized rows. */
    static final String TOKENIZED_RESPONSES_ONLY = "does not apply to tokenized rows, which carry their own labels "
            + "(-100 where no loss is wanted): leave it out or set it false";

    public static Builder builder(Path trainFile) {
        return new Builder(trainFile);
    }

    /** Where the evaluation set comes from, in words. */
    public String evalSource() {
        if (evalFile != null) return "eval_file " + evalFile;
        if (numFolds != null) return "fold " + fold + " of " + numFolds + " (rows with id % " + numFolds + " == " + fold + ")";
        if (validationSplit > 0) return "validation_split " + validationSplit + " of the training rows";
        return "none";
    }

    /** The defaults: no evaluation set, no cut, shuffled, seed 42, the model's task, TRL's loss masks and EOS. */
    public static final class Builder {
        private final Path trainFile;
        private Path evalFile;
        private double validationSplit;
        private Integer maxEvalSamples, maxLength, fold, numFolds;
        private DataFormat dataFormat = DataFormat.ROWS;
        private Boolean trainOnResponsesOnly;
        private boolean addEosToken = true;
        private Map<String, Object> chatTemplateKwargs = Map.of();
        private double fraction = 1;
        private boolean shuffle = true;
        private long seed = DEFAULT_SEED;
        private Task task;

        private Builder(Path trainFile) {
            this.trainFile = trainFile;
        }

        public Builder evalFile(Path v) { evalFile = v; return this; }
        public Builder validationSplit(double v) { validationSplit = v; return this; }
        public Builder maxEvalSamples(Integer v) { maxEvalSamples = v; return this; }
        public Builder maxLength(Integer v) { maxLength = v; return this; }
        public Builder dataFormat(DataFormat v) { dataFormat = v; return this; }
        public Builder trainOnResponsesOnly(Boolean v) { trainOnResponsesOnly = v; return this; }
        public Builder addEosToken(boolean v) { addEosToken = v; return this; }
        public Builder chatTemplateKwargs(Map<String, Object> v) { chatTemplateKwargs = v; return this; }
        public Builder fraction(double v) { fraction = v; return this; }
        public Builder folds(int fold, int numFolds) { this.fold = fold; this.numFolds = numFolds; return this; }
        public Builder shuffle(boolean v) { shuffle = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder task(Task v) { task = v; return this; }

        public DataSpec build() {
            return new DataSpec(trainFile, evalFile, validationSplit, maxEvalSamples, maxLength, dataFormat, trainOnResponsesOnly,
                    addEosToken, chatTemplateKwargs, fraction, fold, numFolds, shuffle, seed, task);
        }
    }
}
