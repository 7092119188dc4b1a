package dev.qlora4j.train.trainer;

import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.config.TargetCheck;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.config.TrainingConfig.OptimizerSettings;
import dev.qlora4j.train.data.DataSpec;
import dev.qlora4j.train.data.Packing;
import dev.qlora4j.train.data.TrainingData;
import dev.qlora4j.train.optim.AdamW;
import dev.qlora4j.train.optim.AdamW8bit;
import dev.qlora4j.train.optim.Optimizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a run trains with, built from its config: the base model (4-bit when a
 * {@code quantization} block asks for it), the adapter (new from {@code lora}, an existing one
 * from {@code adapter_name_or_path}, or the resumed checkpoint's), the data and the optimizer.
 */
final class TrainingSetup {
    final Transformer model;
    final LoraModel lora;
    final TrainingData data;
    final Optimizer optimizer;
    final Generator dropoutRng;

    private TrainingSetup(Transformer model, LoraModel lora, TrainingData data, Optimizer optimizer, Generator dropoutRng) {
        this.model = model;
        this.lora = lora;
        this.data = data;
        this.optimizer = optimizer;
        this.dropoutRng = dropoutRng;
    }

    /**
     * The model's config.json against the config, before anything is written or any weight or
     * data file is read: the folder exists, the task agrees with the architecture, and the
     * {@code lora} block's targets name modules the model has.
     */
    static ModelConfig preflight(TrainingConfig cfg) {
        Path modelDir = Path.of(cfg.model().modelNameOrPath());
        if (!Files.isDirectory(modelDir))
            throw BadInputException.at("model_name_or_path", "no such model folder: " + modelDir);
        ModelConfig modelConfig = ModelConfig.load(modelDir);
        if (cfg.model().task() != null && cfg.model().task() != modelConfig.task())
            throw BadInputException.at("task", "the config says " + cfg.model().task().label() + " but the model is " + modelConfig.architecture());
        if (cfg.data().paddingFree() && modelConfig.task() == Task.SEQUENCE_CLASSIFICATION)
            throw BadInputException.at(cfg.data().packing() ? "packing" : "padding_free", "applies to causal LM data, not to "
                    + modelConfig.architecture() + ", a sequence classifier (its score is read at each row's last token)");
        if (cfg.lora() != null) TargetCheck.check(cfg.lora(), modelConfig);
        return modelConfig;
    }

    /** {@link #preflight} (cheap), then the data, then the weights. */
    static TrainingSetup create(TrainingConfig cfg, Path resumeFrom) {
        ModelConfig modelConfig = preflight(cfg);
        Path modelDir = Path.of(cfg.model().modelNameOrPath());
        Path adapter = cfg.model().adapterNameOrPath() == null ? null : Path.of(cfg.model().adapterNameOrPath());
        if (resumeFrom == null && adapter != null && !Files.isDirectory(adapter))
            throw BadInputException.at("adapter_name_or_path", "no such adapter folder: " + adapter);
        if (resumeFrom == null && adapter == null && cfg.lora() == null)
            throw BadInputException.at("lora", "training needs a \"lora\" block (a new adapter) or \"adapter_name_or_path\"");
        TrainingData data = TrainingData.load(dataSpec(cfg), modelDir);
        if (cfg.data().paddingFree())
            data = data.withTrain(cfg.data().packing() ? Packing.pack(data.train(), cfg.data().maxLength(), cfg.data().packingStrategy())
                    : Packing.each(data.train()));
        if (data.task() != modelConfig.task())
            throw BadInputException.at("task", "the data is for " + data.task().label() + " but the model is " + modelConfig.architecture());
        Transformer model = Transformer.load(modelDir, false, cfg.quantization());
        try {
            model.setGradientCheckpointing(cfg.run().gradientCheckpointing());
            // dropout draws from its own stream, saved in every checkpoint
            Generator dropout = new Generator(cfg.run().seed() ^ 0x5DEECE66DL);
            LoraModel lora;
            if (resumeFrom != null) lora = LoraModel.load(model, resumeFrom, dropout);
            else if (adapter != null) lora = LoraModel.load(model, adapter, dropout);
            else lora = LoraModel.attach(model, withTaskType(cfg.lora(), modelConfig.task()), new Generator(cfg.run().seed()), dropout);
            List<Tensor> params = lora.trainableParameters();
            OptimizerSettings o = cfg.optimizer();
            float b1 = (float) o.adamBeta1(), b2 = (float) o.adamBeta2(), eps = (float) o.adamEpsilon(), wd = (float) o.weightDecay();
            Optimizer opt = o.optim().eightBit() ? new AdamW8bit(params, b1, b2, eps, wd) : new AdamW(params, b1, b2, eps, wd);
            return new TrainingSetup(model, lora, data, opt, dropout);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The lora block's task_type, or when it has none the model's (as PEFT's get_peft_model with a task type). */
    private static LoraConfig withTaskType(LoraConfig c, Task task) {
        if (c.taskType() != null) return c;
        return new LoraConfig(c.r(), c.loraAlpha(), c.loraDropout(), c.targetModules(), c.targetRegex(), c.layersToTransform(),
                c.modulesToSave(), c.useRslora(), c.rankPattern(), c.alphaPattern(),
                task == Task.SEQUENCE_CLASSIFICATION ? "SEQ_CLS" : "CAUSAL_LM", c.baseModelNameOrPath());
    }

    private static DataSpec dataSpec(TrainingConfig cfg) {
        DataSpec.Builder b = DataSpec.builder(Path.of(cfg.data().trainFile()))
                .maxLength(cfg.data().maxLength())
                .dataFormat(cfg.data().dataFormat())
                .addEosToken(cfg.data().addEosToken())
                .chatTemplateKwargs(cfg.data().chatTemplateKwargs())
                .fraction(cfg.data().fraction())
                .shuffle(cfg.data().shuffle())
                .seed(cfg.data().dataSeed())
                .maxEvalSamples(cfg.data().maxEvalSamples());
        if (cfg.data().trainOnResponsesOnly() != null) b.trainOnResponsesOnly(cfg.data().trainOnResponsesOnly());
        if (cfg.data().evalFile() != null) b.evalFile(Path.of(cfg.data().evalFile()));
        if (cfg.data().validationSplit() != null) b.validationSplit(cfg.data().validationSplit());
        if (cfg.data().fold() != null) b.folds(cfg.data().fold(), cfg.data().numFolds());
        if (cfg.model().task() != null) b.task(cfg.model().task());
        return b.build();
    }
}
