package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A training run's settings, named as Hugging Face TrainingArguments (and PEFT's LoraConfig,
 * bitsandbytes' BitsAndBytesConfig under {@code lora} / {@code quantization}); defaults are
 * TrainingArguments' own. Built by {@link TrainingConfigParser}, which checks every key and value.
 *
 * @param trainOnResponsesOnly null when not given: TRL's default (prompt/completion rows learn the completion only)
 * @param lora         the {@code lora} block as given (PEFT LoraConfig names), or null for full fine-tuning
 * @param quantization the {@code quantization} block (BitsAndBytesConfig names), or null
 * @param monitor      the {@code monitor} block (thresholds of the stability monitor), or null for defaults
 * @param loggingSteps {@code logging_steps}, {@code eval_steps}, {@code save_steps}: a whole number of
 *                     steps, or below 1 a share of the run's optimizer steps ({@link #steps})
 * @param resolved     every key with its final value, as saved in training_config.json
 */
public record TrainingConfig(
        String modelNameOrPath, String outputDir, String trainFile, String evalFile, Double validationSplit,
        Integer maxEvalSamples, int maxLength, String task, String dataFormat, Boolean trainOnResponsesOnly,
        boolean shuffle, boolean groupByLength, boolean dataloaderDropLast, double fraction, Integer fold, Integer numFolds,
        int perDeviceTrainBatchSize, int perDeviceEvalBatchSize, int gradientAccumulationSteps,
        double numTrainEpochs, long maxSteps,
        double learningRate, double weightDecay, double adamBeta1, double adamBeta2, double adamEpsilon, String optim,
        String lrSchedulerType, dev.qlora4j.train.trainer.LrSchedule.Args lrSchedulerKwargs, double warmupRatio, double warmupSteps, double maxGradNorm,
        double loggingSteps, boolean loggingFirstStep, String loggingStrategy, String evalStrategy, boolean evalOnStart, double evalSteps, String saveStrategy, double saveSteps,
        Integer saveTotalLimit, boolean loadBestModelAtEnd, String metricForBestModel, boolean greaterIsBetter,
        Integer earlyStoppingPatience, double earlyStoppingThreshold,
        boolean gradientCheckpointing, boolean bf16, long seed, Long dataSeed, String resumeFromCheckpoint, List<String> reportTo,
        String adapterNameOrPath, String device, int ddpTimeout, ObjectNode lora, ObjectNode quantization, ObjectNode monitor,
        ObjectNode resolved) {

    /**
     * An interval key's number of steps for a run of {@code maxSteps}: the value itself when it is
     * 1 or more, else {@code ceil(maxSteps · value)} (HF Trainer's rule for a ratio; at least 1).
     */
    public static long steps(double value, long maxSteps) {
        return value >= 1 ? (long) value : Math.max(1, (long) Math.ceil(maxSteps * value));
    }

    /** The seed of the data's splits, fraction and epoch orders: {@code data_seed} when given, else {@code seed} (HF). */
    public long effectiveDataSeed() {
        return dataSeed != null ? dataSeed : seed;
    }

    public boolean evaluates() {
        return !evalStrategy.equals("no");
    }

    public boolean reportsTo(String integration) {
        return reportTo.contains(integration) || reportTo.contains("all");
    }

    /** A nested block, or an empty object. */
    public static JsonNode orEmpty(JsonNode n) {
        return n == null ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode() : n;
    }
}
