package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.DataSpec;
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

    static TrainingSetup create(TrainingConfig cfg, Path resumeFrom) {
        Path modelDir = Path.of(cfg.modelNameOrPath());
        if (!Files.isDirectory(modelDir))
            throw BadInputException.at("model_name_or_path", "no such model folder: " + modelDir);
        DataSpec spec = dataSpec(cfg);
        TrainingData data = TrainingData.load(spec, modelDir);
        QuantizationConfig quant = null;
        if (cfg.quantization() != null) {
            ObjectNode wrapper = JsonNodeFactory.instance.objectNode();
            wrapper.set("quantization_config", cfg.quantization());
            quant = QuantizationConfig.fromConfig(wrapper, Path.of("quantization"));
        }
        Transformer model = Transformer.load(modelDir, false, quant);
        try {
            if (data.task() != model.config().task())
                throw BadInputException.at("task", "the data is for " + data.task().label() + " but the model is "
                        + model.config().architecture());
            model.setGradientCheckpointing(cfg.gradientCheckpointing());
            // dropout draws from its own stream, saved in every checkpoint
            Generator dropout = new Generator(cfg.seed() ^ 0x5DEECE66DL);
            LoraModel lora;
            if (resumeFrom != null) lora = LoraModel.load(model, resumeFrom, dropout);
            else if (cfg.adapterNameOrPath() != null) {
                Path adapter = Path.of(cfg.adapterNameOrPath());
                if (!Files.isDirectory(adapter)) throw BadInputException.at("adapter_name_or_path", "no such adapter folder: " + adapter);
                lora = LoraModel.load(model, adapter, dropout);
            } else if (cfg.lora() != null) {
                ObjectNode block = cfg.lora().deepCopy();
                if (!block.has("task_type"))
                    block.put("task_type", model.config().task() == Task.SEQUENCE_CLASSIFICATION ? "SEQ_CLS" : "CAUSAL_LM");
                if (!block.has("base_model_name_or_path")) block.put("base_model_name_or_path", cfg.modelNameOrPath());
                // PEFT's LoraConfig defaults: r 8, and for these model types (its
                // TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING) the query and value projections
                if (!block.has("r")) block.put("r", 8);
                if (!block.has("target_modules")) block.putArray("target_modules").add("q_proj").add("v_proj");
                lora = LoraModel.attach(model, LoraConfig.fromJson(block, "lora"), new Generator(cfg.seed()), dropout);
            } else {
                throw BadInputException.at("lora", "training needs a \"lora\" block (a new adapter) or \"adapter_name_or_path\"");
            }
            List<Tensor> params = lora.trainableParameters();
            float b1 = (float) cfg.adamBeta1(), b2 = (float) cfg.adamBeta2(), eps = (float) cfg.adamEpsilon(), wd = (float) cfg.weightDecay();
            Optimizer opt = cfg.optim().contains("8bit") ? new AdamW8bit(params, b1, b2, eps, wd) : new AdamW(params, b1, b2, eps, wd);
            return new TrainingSetup(model, lora, data, opt, dropout);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static DataSpec dataSpec(TrainingConfig cfg) {
        DataSpec.Builder b = DataSpec.builder(Path.of(cfg.trainFile()))
                .maxLength(cfg.maxLength())
                .dataFormat(DataFormat.parse(cfg.dataFormat()))
                .fraction(cfg.fraction())
                .shuffle(cfg.shuffle())
                .seed(cfg.effectiveDataSeed())
                .maxEvalSamples(cfg.maxEvalSamples());
        if (cfg.trainOnResponsesOnly() != null) b.trainOnResponsesOnly(cfg.trainOnResponsesOnly());
        if (cfg.evalFile() != null) b.evalFile(Path.of(cfg.evalFile()));
        if (cfg.validationSplit() != null) b.validationSplit(cfg.validationSplit());
        if (cfg.fold() != null) b.folds(cfg.fold(), cfg.numFolds());
        if (cfg.task() != null) b.task(cfg.task().equals("sequence_classification") ? Task.SEQUENCE_CLASSIFICATION : Task.CAUSAL_LM);
        return b.build();
    }
}
