package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.train.config.Modes.BestMetric;
import dev.qlora4j.train.config.Modes.Device;
import dev.qlora4j.train.config.Modes.IntervalStrategy;
import dev.qlora4j.train.config.Modes.Optim;
import dev.qlora4j.train.config.Modes.SaveStrategy;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.Packing;
import dev.qlora4j.train.monitor.MonitorSettings;
import dev.qlora4j.train.trainer.LrSchedule;

import java.util.List;
import java.util.Map;

/**
 * A training run's settings, checked whole by {@link TrainingConfigParser} against the
 * declarations in {@link ConfigKeys} (whose javadoc and help lines say what each key does),
 * grouped as below.
 *
 * @param lora         the new adapter ({@code lora} block; task_type null = the model's), or null
 *                     when training an existing one ({@code adapter_name_or_path})
 * @param quantization the {@code quantization} block, or null for full-precision base weights
 * @param monitor      the {@code monitor} block with its defaults filled in
 * @param resolved     every key with its final value, as saved in training_config.json
 */
public record TrainingConfig(ModelSettings model, DataSettings data, BatchSettings batching, OptimizerSettings optimizer,
                             ScheduleSettings schedule, LoggingSettings logging, EvaluationSettings evaluation, SavingSettings saving,
                             RunSettings run, LoraConfig lora, QuantizationConfig quantization, MonitorSettings monitor,
                             ObjectNode resolved) {

    /** @param task null = the model's (its config.json architecture) */
    public record ModelSettings(String modelNameOrPath, String adapterNameOrPath, Task task) {}

    /**
     * @param validationSplit      null = none
     * @param trainOnResponsesOnly null = TRL's defaults
     * @param chatTemplateKwargs   {@code chat_template_kwargs} as template variables; empty when not given
     * @param dataSeed             {@code data_seed}, else {@code seed}
     */
    public record DataSettings(String trainFile, String evalFile, Double validationSplit, Integer maxEvalSamples, int maxLength,
                               DataFormat dataFormat, Boolean trainOnResponsesOnly, boolean addEosToken,
                               Map<String, Object> chatTemplateKwargs, boolean shuffle,
                               boolean groupByLength, boolean dataloaderDropLast, double fraction, Integer fold, Integer numFolds,
                               long dataSeed, boolean packing, Packing.Strategy packingStrategy,
                               boolean paddingFree) {
        /** Whether an evaluation set is chosen (eval_file, validation_split or fold). */
        public boolean hasEvalSet() {
            return evalFile != null || validationSplit != null || fold != null;
        }
    }

    public record BatchSettings(int perDeviceTrainBatchSize, int perDeviceEvalBatchSize, int gradientAccumulationSteps,
                                double numTrainEpochs, long maxSteps) {}

    public record OptimizerSettings(Optim optim, double learningRate, double weightDecay, double adamBeta1, double adamBeta2,
                                    double adamEpsilon, double maxGradNorm) {}

    /** @param warmupSteps steps, or below 1 a share of the run */
    public record ScheduleSettings(LrSchedule type, LrSchedule.Args kwargs, double warmupRatio, double warmupSteps) {}

    /** @param steps an interval ({@link #steps}); @param reportTo the integrations, empty for none */
    public record LoggingSettings(IntervalStrategy strategy, double steps, boolean firstStep, List<String> reportTo) {
        public boolean reportsTo(String integration) {
            return reportTo.contains(integration) || reportTo.contains("all");
        }
    }

    /** @param earlyStoppingPatience null = no early stopping */
    public record EvaluationSettings(IntervalStrategy strategy, double steps, boolean onStart, BestMetric metricForBestModel,
                                     boolean greaterIsBetter, boolean loadBestModelAtEnd, Integer earlyStoppingPatience,
                                     double earlyStoppingThreshold) {
        public boolean enabled() {
            return strategy != IntervalStrategy.NO;
        }
    }

    /** @param resumeFromCheckpoint null = a fresh run, {@link ConfigKeys#LATEST}, or a checkpoint folder */
    public record SavingSettings(String outputDir, SaveStrategy strategy, double steps, Integer totalLimit, String resumeFromCheckpoint) {}

    public record RunSettings(long seed, Device device, boolean bf16, boolean gradientCheckpointing, int ddpTimeout) {}

    /**
     * An interval key's number of steps for a run of {@code maxSteps}: the value itself when it is
     * 1 or more, else {@code ceil(maxSteps · value)} (HF Trainer's rule for a ratio; at least 1).
     */
    public static long steps(double value, long maxSteps) {
        return value >= 1 ? (long) value : Math.max(1, (long) Math.ceil(maxSteps * value));
    }
}
