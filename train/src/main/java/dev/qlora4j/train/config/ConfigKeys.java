package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.train.config.Modes.BestMetric;
import dev.qlora4j.train.config.Modes.Device;
import dev.qlora4j.train.config.Modes.IntervalStrategy;
import dev.qlora4j.train.config.Modes.Optim;
import dev.qlora4j.train.config.Modes.SaveStrategy;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.Packing;
import dev.qlora4j.train.trainer.LrSchedule;

import java.util.List;
import java.util.Map;

import static dev.qlora4j.train.config.Types.bool;
import static dev.qlora4j.train.config.Types.choice;
import static dev.qlora4j.train.config.Types.count;
import static dev.qlora4j.train.config.Types.interval;
import static dev.qlora4j.train.config.Types.list;
import static dev.qlora4j.train.config.Types.nonNegative;
import static dev.qlora4j.train.config.Types.number;
import static dev.qlora4j.train.config.Types.string;

/**
 * Every key of a training config, declared once. Names and defaults are Hugging Face
 * TrainingArguments' (TRL's SFTConfig for the data keys), PEFT's LoraConfig in {@code lora},
 * transformers' BitsAndBytesConfig in {@code quantization}.
 */
public final class ConfigKeys {
    private ConfigKeys() {}

    public static final Block TOP = new Block("", "the training config's top level");
    public static final Block LORA = new Block("lora", "a new adapter, PEFT's LoraConfig");
    public static final Block QUANTIZATION = new Block("quantization", "4-bit base weights (QLoRA), transformers' BitsAndBytesConfig");
    public static final Block MONITOR = new Block("monitor", "the train/eval stability monitor and its \"stable\" checkpoints");

    /** The nested blocks, in table order. */
    public static final List<Block> BLOCKS = List.of(LORA, QUANTIZATION, MONITOR);

    // ---- model ----
    public static final Key<String> MODEL_NAME_OR_PATH = TOP.derived("model", "model_name_or_path", string(), "required",
            "the base model's folder (config.json, *.safetensors, tokenizer files)");
    public static final Key<String> ADAPTER_NAME_OR_PATH = TOP.key("model", "adapter_name_or_path", string(), null,
            "go on training an existing PEFT adapter folder instead of a new \"lora\" block");
    public static final Key<Task> TASK = TOP.derived("model", "task",
            choice(Task.class, t -> t == Task.CAUSAL_LM ? "causal_lm" : "sequence_classification", Map.of()),
            "the model's (config.json architectures)", "what the rows are for; must agree with the model's architecture");

    // ---- data ----
    public static final Key<String> TRAIN_FILE = TOP.derived("data", "train_file", string(), "required",
            "training rows: JSON Lines or a JSON array; a CSV for preference_pair");
    public static final Key<String> EVAL_FILE = TOP.key("data", "eval_file", string(), null, "evaluation rows, same formats as train_file");
    public static final Key<Double> VALIDATION_SPLIT = TOP.key("data", "validation_split", number(0, false, 1, false), null,
            "hold out this share of the training rows for evaluation (seeded)");
    public static final Key<Integer> MAX_EVAL_SAMPLES = TOP.key("data", "max_eval_samples", count(1), null,
            "evaluate on the first N evaluation examples only");
    public static final Key<Integer> FOLD = TOP.key("data", "fold", count(0), null,
            "with num_folds: evaluate on the rows whose id % num_folds == fold, train on the others");
    public static final Key<Integer> NUM_FOLDS = TOP.key("data", "num_folds", count(2), null, "the number of folds for fold");
    public static final Key<Double> FRACTION = TOP.key("data", "fraction", number(0, false, 1, true), 1.0,
            "train on a seeded random share of the training rows");
    public static final Key<DataFormat> DATA_FORMAT = TOP.key("data", "data_format",
            choice(DataFormat.class, DataFormat::key, Map.of("json", DataFormat.ROWS, "jsonl", DataFormat.ROWS)), DataFormat.ROWS,
            "how rows are read; auto tells messages / text / prompt+completion / text+label / input_ids (tokenized) rows by their keys");
    public static final Key<Integer> MAX_LENGTH = TOP.key("data", "max_length", List.of("max_seq_length"), count(2), 1024, "1024",
            "keep each example's first N tokens (TRL's SFTConfig; max_seq_length is its old name)");
    public static final Key<Boolean> TRAIN_ON_RESPONSES_ONLY = TOP.derived("data", "train_on_responses_only", bool(),
            "TRL's: completion only for prompt/completion rows, every token otherwise",
            "loss on assistant turns / the completion only (TRL's assistant_only_loss, completion_only_loss)");
    public static final Key<Boolean> ADD_EOS_TOKEN = TOP.key("data", "add_eos_token", bool(), true,
            "append the EOS token to text and completion strings, as TRL's SFTTrainer does; false as plain HF Trainer");
    public static final Key<JsonNode> CHAT_TEMPLATE_KWARGS = TOP.key("data", "chat_template_kwargs", Types.object(), null,
            "further chat template variables for every conversation row, e.g. {\"enable_thinking\": false} (apply_chat_template's kwargs)");
    public static final Key<Boolean> SHUFFLE = TOP.key("data", "shuffle", bool(), true, "a new seeded order of the training examples each epoch");
    public static final Key<Boolean> GROUP_BY_LENGTH = TOP.key("data", "group_by_length", bool(), false,
            "HF's LengthGroupedSampler: batches of similar length (less padding), the longest example first");
    public static final Key<Boolean> PACKING = TOP.key("data", "packing", bool(), false,
            "TRL's SFTConfig: pack the training examples into sequences of max_length tokens (padding-free; attention stays inside each example)");
    public static final Key<Packing.Strategy> PACKING_STRATEGY = TOP.key("data", "packing_strategy",
            choice(Packing.Strategy.class, Packing.Strategy::key, Map.of()),
            Packing.Strategy.BFD,
            "with packing: bfd (best-fit decreasing, examples never cut, as TRL) or wrapped (concatenate and cut every max_length tokens)");
    public static final Key<Boolean> PADDING_FREE = TOP.derived("data", "padding_free", bool(), "packing",
            "TRL's: each micro-batch is one row of its examples back to back, no padding (implied by packing)");
    public static final Key<Boolean> DATALOADER_DROP_LAST = TOP.key("data", "dataloader_drop_last", bool(), false,
            "drop the last incomplete batch of each epoch");
    public static final Key<Long> DATA_SEED = TOP.derived("data", "data_seed", Types.integer(Integer.MIN_VALUE, Long.MAX_VALUE), "seed",
            "the seed of splits, fraction and epoch orders");

    // ---- batching ----
    public static final Key<Integer> PER_DEVICE_TRAIN_BATCH_SIZE = TOP.key("batching", "per_device_train_batch_size", count(1), 8,
            "examples per micro-batch on each device (rank)");
    public static final Key<Integer> PER_DEVICE_EVAL_BATCH_SIZE = TOP.key("batching", "per_device_eval_batch_size", count(1), 8,
            "examples per evaluation batch");
    public static final Key<Integer> GRADIENT_ACCUMULATION_STEPS = TOP.key("batching", "gradient_accumulation_steps", count(1), 1,
            "micro-batches per optimizer step");
    public static final Key<Double> NUM_TRAIN_EPOCHS = TOP.key("batching", "num_train_epochs", nonNegative(), 3.0,
            "epochs to train (a fraction ends mid-epoch); max_steps wins when given");
    public static final Key<Long> MAX_STEPS = TOP.key("batching", "max_steps", Types.integer(-1, Long.MAX_VALUE), -1L,
            "optimizer steps to train; -1 = from num_train_epochs");

    // ---- optimizer ----
    public static final Key<Optim> OPTIM = TOP.key("optimizer", "optim", choice(Optim.class), Optim.ADAMW_TORCH,
            "AdamW; the 8bit names keep 8-bit blockwise moments as bitsandbytes; paging changes nothing here");
    public static final Key<Double> LEARNING_RATE = TOP.key("optimizer", "learning_rate", nonNegative(), 5e-5, "the peak learning rate");
    public static final Key<Double> WEIGHT_DECAY = TOP.key("optimizer", "weight_decay", nonNegative(), 0.0, "AdamW's decoupled weight decay");
    public static final Key<Double> ADAM_BETA1 = TOP.key("optimizer", "adam_beta1", number(0, true, 1, false), 0.9, "AdamW's β1");
    public static final Key<Double> ADAM_BETA2 = TOP.key("optimizer", "adam_beta2", number(0, true, 1, false), 0.999, "AdamW's β2");
    public static final Key<Double> ADAM_EPSILON = TOP.key("optimizer", "adam_epsilon", nonNegative(), 1e-8, "AdamW's ε");
    public static final Key<Double> MAX_GRAD_NORM = TOP.key("optimizer", "max_grad_norm", nonNegative(), 1.0,
            "clip the global gradient norm to this; 0 = no clipping");

    // ---- schedule ----
    public static final Key<LrSchedule> LR_SCHEDULER_TYPE = TOP.key("schedule", "lr_scheduler_type",
            choice(LrSchedule.class, LrSchedule::hfName, Map.of()), LrSchedule.LINEAR, "the learning-rate schedule, as HF's get_scheduler");
    public static final Key<JsonNode> LR_SCHEDULER_KWARGS = TOP.derived("schedule", "lr_scheduler_kwargs", Types.object(), "{}",
            "the schedule's arguments: num_cycles, power, lr_end, timescale, min_lr, min_lr_rate (those it takes)");
    public static final Key<Double> WARMUP_RATIO = TOP.key("schedule", "warmup_ratio", number(0, true, 1, true), 0.0,
            "warm up over this share of the steps");
    public static final Key<Double> WARMUP_STEPS = TOP.key("schedule", "warmup_steps", nonNegative(), 0.0,
            "warm up over this many steps (wins over warmup_ratio; below 1 a share of the run)");

    // ---- logging ----
    public static final Key<IntervalStrategy> LOGGING_STRATEGY = TOP.key("logging", "logging_strategy", choice(IntervalStrategy.class),
            IntervalStrategy.STEPS, "when to log the training loss");
    public static final Key<Double> LOGGING_STEPS = TOP.key("logging", "logging_steps", interval(), 500.0, "log every N steps");
    public static final Key<Boolean> LOGGING_FIRST_STEP = TOP.key("logging", "logging_first_step", bool(), false, "also log the first step");
    public static final Key<List<String>> REPORT_TO = TOP.key("logging", "report_to", List.of(),
            list(Types.only("(other integrations are not available here)", "tensorboard", "none", "all")
                    .let(JsonNode::asText, com.fasterxml.jackson.databind.node.TextNode::valueOf), true),
            List.of("tensorboard"), "\"tensorboard\"", "where metrics go besides trainer_state.json: tensorboard, or none");

    // ---- evaluation ----
    public static final Key<IntervalStrategy> EVAL_STRATEGY = TOP.key("evaluation", "eval_strategy", List.of("evaluation_strategy"),
            choice(IntervalStrategy.class), IntervalStrategy.NO, "\"no\"",
            "when to evaluate (needs eval_file, validation_split or fold); evaluation_strategy is its old name");
    public static final Key<Double> EVAL_STEPS = TOP.derived("evaluation", "eval_steps", interval(), "logging_steps", "evaluate every N steps");
    public static final Key<Boolean> EVAL_ON_START = TOP.key("evaluation", "eval_on_start", bool(), false, "evaluate before the first step");
    public static final Key<BestMetric> METRIC_FOR_BEST_MODEL = TOP.key("evaluation", "metric_for_best_model", choice(BestMetric.class),
            BestMetric.LOSS, "the evaluation metric that picks the best checkpoint (eval_ prefix optional)");
    public static final Key<Boolean> GREATER_IS_BETTER = TOP.derived("evaluation", "greater_is_better", bool(),
            "true for accuracy, false for losses and perplexity", "whether a larger metric is better");
    public static final Key<Boolean> LOAD_BEST_MODEL_AT_END = TOP.key("evaluation", "load_best_model_at_end", bool(), false,
            "end with the best checkpoint's adapter in output_dir");
    public static final Key<Integer> EARLY_STOPPING_PATIENCE = TOP.key("evaluation", "early_stopping_patience", count(1), null,
            "stop after N evaluations without improvement (HF's EarlyStoppingCallback)");
    public static final Key<Double> EARLY_STOPPING_THRESHOLD = TOP.key("evaluation", "early_stopping_threshold", nonNegative(), 0.0,
            "the improvement that counts for early stopping");

    // ---- saving ----
    public static final Key<String> OUTPUT_DIR = TOP.derived("saving", "output_dir", string(), "required",
            "where checkpoints, logs and the final adapter go");
    public static final Key<SaveStrategy> SAVE_STRATEGY = TOP.key("saving", "save_strategy", choice(SaveStrategy.class), SaveStrategy.STEPS,
            "when to write a checkpoint; best = whenever the metric improves");
    public static final Key<Double> SAVE_STEPS = TOP.key("saving", "save_steps", interval(), 500.0, "checkpoint every N steps");
    public static final Key<Integer> SAVE_TOTAL_LIMIT = TOP.key("saving", "save_total_limit", count(1), null,
            "keep the newest N checkpoints (and the best one)");
    public static final Key<String> RESUME_FROM_CHECKPOINT = TOP.key("saving", "resume_from_checkpoint",
            Types.either(Types.bool().let(b -> b ? "latest" : "", s -> !s.isEmpty()), string(),
                    "true, false or a checkpoint folder"),
            null, "true = the newest checkpoint-N in output_dir (a fresh start, said in the log, when there is none yet), or a checkpoint folder");

    /** {@code resume_from_checkpoint: true}: the newest checkpoint in output_dir. */
    public static final String LATEST = "latest";

    // ---- run ----
    public static final Key<Long> SEED = TOP.key("run", "seed", Types.integer(Integer.MIN_VALUE, Long.MAX_VALUE), 42L,
            "seeds adapter init, dropout and (without data_seed) the data order");
    public static final Key<Device> DEVICE = TOP.key("run", "device", choice(Device.class), Device.CPU, "cuda: forward and backward on GPU 0 (README: GPU); optimizer and checkpoints stay on the host");
    public static final Key<Boolean> BF16 = TOP.key("run", "bf16", bool(), false, "accepted; the CPU path computes in fp32, the GPU path in bf16 with fp32 master weights");
    public static final Key<Boolean> GRADIENT_CHECKPOINTING = TOP.key("run", "gradient_checkpointing", bool(), false,
            "recompute layer activations in backward to save memory");
    public static final Key<Integer> DDP_TIMEOUT = TOP.key("run", "ddp_timeout", count(1), 1800,
            "seconds a rank waits for the others in a collective before the run ends");

    // ---- blocks ----
    public static final Key<JsonNode> LORA_BLOCK = TOP.key("blocks", "lora", Types.object(), null, LORA.help());
    public static final Key<JsonNode> QUANTIZATION_BLOCK = TOP.key("blocks", "quantization", Types.object(), null, QUANTIZATION.help());
    public static final Key<JsonNode> MONITOR_BLOCK = TOP.derived("blocks", "monitor", Types.object(), "the monitor's defaults", MONITOR.help());

    // ---- accepted from HF configs, no effect here ----
    static {
        for (String k : List.of("overwrite_output_dir", "do_train", "do_eval", "remove_unused_columns", "dataloader_num_workers",
                "run_name", "disable_tqdm", "logging_dir", "tf32", "ddp_find_unused_parameters", "label_names", "dataloader_pin_memory",
                "save_safetensors", "gradient_checkpointing_kwargs", "eval_accumulation_steps", "save_only_model",
                "dataloader_persistent_workers", "dataloader_prefetch_factor", "hub_model_id", "hub_strategy", "hub_private_repo",
                "torch_compile", "include_tokens_per_second", "include_num_input_tokens_seen", "logging_nan_inf_filter",
                "dataset_text_field", "auto_find_batch_size", "full_determinism", "torch_empty_cache_steps", "prediction_loss_only",
                "include_inputs_for_metrics", "ignore_data_skip"))
            TOP.inert("ignored", k, Types.accepted("any value", v -> true), "no effect here");
        for (String k : List.of("fp16", "push_to_hub"))
            TOP.inert("ignored", k, Types.only("(true is not supported here)", false), "only false is accepted");
        for (String k : List.of("label_smoothing_factor", "neftune_noise_alpha"))
            TOP.inert("ignored", k, Types.accepted("0 (it is not supported here)", v -> v.isNumber() && v.asDouble() == 0),
                    "only 0 is accepted");
    }

    // ---- lora: PEFT LoraConfig ----
    public static final Key<Integer> LORA_R = LORA.key("lora", "r", count(1), 8, "the adapters' rank");
    public static final Key<Double> LORA_ALPHA = LORA.key("lora", "lora_alpha", nonNegative(), 8.0, "scale numerator: scale = lora_alpha / r");
    public static final Key<Double> LORA_DROPOUT = LORA.key("lora", "lora_dropout", number(0, true, 1, false), 0.0,
            "dropout on the adapters' input while training");
    public static final Key<JsonNode> LORA_TARGET_MODULES = LORA.derived("lora", "target_modules",
            Types.accepted("a module name, a list of them, \"all-linear\", or one regular expression",
                    v -> v.isTextual() || v.isArray() && !v.isEmpty() && allText(v)),
            "[\"q_proj\", \"v_proj\"]", "modules that get adapters (names match the end of the module path; a string is a regex)");
    public static final Key<JsonNode> LORA_LAYERS_TO_TRANSFORM = LORA.key("lora", "layers_to_transform",
            Types.accepted("a layer index or a list of them (integers ≥ 0)", v -> isIndex(v) || v.isArray() && allIndices(v)), null,
            "only these decoder layers get adapters");
    public static final Key<JsonNode> LORA_LAYERS_PATTERN = LORA.key("lora", "layers_pattern",
            Types.only("(the layer list of these models is \"layers\")", "layers", List.of("layers")), null,
            "the name of the layer list that layers_to_transform indexes");
    public static final Key<List<String>> LORA_MODULES_TO_SAVE = LORA.key("lora", "modules_to_save", list(string(), false), null,
            "modules trained in full and saved with the adapter (the head: lm_head or score)");
    public static final Key<Boolean> LORA_USE_RSLORA = LORA.key("lora", "use_rslora", bool(), false, "scale lora_alpha / √r instead");
    public static final Key<Map<String, Integer>> LORA_RANK_PATTERN = LORA.key("lora", "rank_pattern", Types.mapOf(count(1)), null,
            "per-module r: regex of the module name → r");
    public static final Key<Map<String, Double>> LORA_ALPHA_PATTERN = LORA.key("lora", "alpha_pattern", Types.mapOf(nonNegative()), null,
            "per-module lora_alpha: regex of the module name → alpha");
    public static final Key<JsonNode> LORA_BIAS = LORA.key("lora", "bias", Types.only("(bias training is not supported)", "none"), null,
            "which biases train; only none");
    public static final Key<JsonNode> LORA_TASK_TYPE = LORA.derived("lora", "task_type",
            Types.only("(PEFT's task types for these models)", "CAUSAL_LM", "SEQ_CLS"), "the model's",
            "CAUSAL_LM or SEQ_CLS (SEQ_CLS also trains and saves the score head)");
    public static final Key<JsonNode> LORA_INIT_LORA_WEIGHTS = LORA.key("lora", "init_lora_weights",
            Types.only("(other initialisations are not supported)", true), null, "A Kaiming-uniform, B zero (PEFT's default)");
    public static final Key<String> LORA_BASE_MODEL = LORA.derived("lora", "base_model_name_or_path", string(), "model_name_or_path",
            "written into adapter_config.json");
    public static final Key<JsonNode> LORA_PEFT_TYPE = LORA.key("lora", "peft_type", Types.only("(only LoRA adapters)", "LORA"), null,
            "the PEFT method: LORA");
    public static final Key<JsonNode> LORA_USE_DORA = LORA.key("lora", "use_dora", Types.only("(DoRA is not supported)", false), null,
            "weight-decomposed LoRA: not supported");
    public static final Key<JsonNode> LORA_FAN_IN_FAN_OUT = LORA.key("lora", "fan_in_fan_out", Types.only("(for Conv1D models only)", false),
            null, "transposed weights (GPT-2's Conv1D): not these models");
    static {
        LORA.inert("lora", "inference_mode", Types.accepted("true or false", JsonNode::isBoolean), "no effect (a trained adapter is saved with true)");
        LORA.inert("lora", "revision", Types.accepted("a string", JsonNode::isTextual), "no effect");
    }

    // ---- quantization: BitsAndBytesConfig ----
    public static final Key<JsonNode> Q_LOAD_IN_4BIT = QUANTIZATION.derived("quantization", "load_in_4bit",
            Types.only("(only 4-bit quantization is supported)", true), "required", "quantize the base model's projections to 4 bits on load");
    public static final Key<JsonNode> Q_LOAD_IN_8BIT = QUANTIZATION.key("quantization", "load_in_8bit",
            Types.only("(LLM.int8 is not supported)", false), null, "8-bit: not supported");
    public static final Key<JsonNode> Q_QUANT_TYPE = QUANTIZATION.derived("quantization", "bnb_4bit_quant_type",
            Types.only("(only NF4 is supported; BitsAndBytesConfig's default is fp4)", "nf4"), "required", "the 4-bit data type: nf4");
    public static final Key<JsonNode> Q_COMPUTE_DTYPE = QUANTIZATION.derived("quantization", "bnb_4bit_compute_dtype",
            Types.only("(the compute dtypes of bitsandbytes)", "float32", "bfloat16", "float16", "torch.float32", "torch.bfloat16",
                    "torch.float16"), "\"float32\"", "the dtype matmuls run in");
    public static final Key<Boolean> Q_DOUBLE_QUANT = QUANTIZATION.key("quantization", "bnb_4bit_use_double_quant", bool(), false,
            "quantize the block scales too (QLoRA's double quantization)");
    public static final Key<JsonNode> Q_QUANT_STORAGE = QUANTIZATION.derived("quantization", "bnb_4bit_quant_storage",
            Types.accepted("a torch dtype name", JsonNode::isTextual), "\"uint8\"", "the dtype the packed bytes are stored as");
    public static final Key<List<String>> Q_SKIP_MODULES = QUANTIZATION.derived("quantization", "llm_int8_skip_modules", list(string(), false),
            "the head (lm_head, score)", "modules left in full precision");
    public static final Key<JsonNode> Q_QUANT_METHOD = QUANTIZATION.key("quantization", "quant_method",
            Types.only("(the only method supported)", "bitsandbytes"), null, "bitsandbytes");
    static {
        QUANTIZATION.inert("quantization", "llm_int8_threshold", Types.accepted("a number", JsonNode::isNumber), "8-bit only: no effect");
        QUANTIZATION.inert("quantization", "llm_int8_has_fp16_weight", Types.accepted("true or false", JsonNode::isBoolean), "8-bit only: no effect");
        QUANTIZATION.inert("quantization", "llm_int8_enable_fp32_cpu_offload", Types.only("(offloading is not supported)", false),
                "only false");
    }

    // ---- monitor ----
    public static final Key<Boolean> M_ENABLED = MONITOR.key("monitor", "enabled", bool(), true, "off: the monitor does nothing and writes nothing");
    public static final Key<Integer> M_STABILITY_WINDOW = MONITOR.key("monitor", "stability_window", count(1), 5,
            "evaluations the stability metrics average over");
    public static final Key<Integer> M_BALANCE_WINDOW = MONITOR.key("monitor", "balance_window", count(1), 10,
            "latest train and eval losses the gap and variances use");
    public static final Key<Double> M_MIN_GAP = MONITOR.key("monitor", "min_gap", Types.number(Double.NEGATIVE_INFINITY, false,
            Double.POSITIVE_INFINITY, false), 0.1, "smallest balanced gap, mean eval loss − mean train loss");
    public static final Key<Double> M_MAX_GAP = MONITOR.key("monitor", "max_gap", Types.number(Double.NEGATIVE_INFINITY, false,
            Double.POSITIVE_INFINITY, false), 0.3, "largest balanced gap");
    public static final Key<Double> M_MAX_MEAN_VARIANCE = MONITOR.key("monitor", "max_mean_variance", nonNegative(), 0.1,
            "balanced only below this mean of the two variances");
    public static final Key<Double> M_MIN_VARIANCE_RATIO = MONITOR.key("monitor", "min_variance_ratio", number(0, true, 1, true), 0.7,
            "balanced only above this smaller/larger variance ratio");
    public static final Key<Integer> M_MAX_STABLE_CHECKPOINTS = MONITOR.key("monitor", "max_stable_checkpoints", count(1), 5,
            "stable checkpoints kept; the oldest beyond go");
    public static final Key<Integer> M_MIN_STEPS_BETWEEN = MONITOR.key("monitor", "min_steps_between_checkpoints", count(0), 100,
            "steps from one stable checkpoint to the next, at least");

    private static boolean allText(JsonNode v) {
        for (JsonNode e : v) if (!e.isTextual()) return false;
        return true;
    }

    private static boolean isIndex(JsonNode v) {
        return v.isIntegralNumber() && v.asLong() >= 0 && v.asLong() <= Integer.MAX_VALUE;
    }

    private static boolean allIndices(JsonNode v) {
        for (JsonNode e : v) if (!isIndex(e)) return false;
        return true;
    }
}
