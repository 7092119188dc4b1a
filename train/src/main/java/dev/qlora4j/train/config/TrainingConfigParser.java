package dev.qlora4j.train.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.config.Block.Values;
import dev.qlora4j.train.config.Modes.IntervalStrategy;
import dev.qlora4j.train.config.Modes.SaveStrategy;
import dev.qlora4j.train.config.TrainingConfig.BatchSettings;
import dev.qlora4j.train.config.TrainingConfig.DataSettings;
import dev.qlora4j.train.config.TrainingConfig.EvaluationSettings;
import dev.qlora4j.train.config.TrainingConfig.LoggingSettings;
import dev.qlora4j.train.config.TrainingConfig.ModelSettings;
import dev.qlora4j.train.config.TrainingConfig.OptimizerSettings;
import dev.qlora4j.train.config.TrainingConfig.RunSettings;
import dev.qlora4j.train.config.TrainingConfig.SavingSettings;
import dev.qlora4j.train.config.TrainingConfig.ScheduleSettings;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.TemplateVariables;
import dev.qlora4j.train.monitor.MonitorSettings;
import dev.qlora4j.train.trainer.LrSchedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static dev.qlora4j.train.config.ConfigKeys.*;

/**
 * Reads a training config (JSON) and {@code --set key=value} overrides, and checks it whole
 * against {@link ConfigKeys} before anything else happens: unknown keys (at the top and in every
 * block), values of the wrong kind or out of range, and keys that contradict each other are all
 * collected, and one error lists them.
 */
public final class TrainingConfigParser {
    private final List<String> problems = new ArrayList<>();
    /** Values of training_config.json that differ from what the user wrote (derived defaults). */
    private final Map<Key<?>, Object> finals = new IdentityHashMap<>();

    private TrainingConfigParser() {}

    /** Reads {@code file} and applies {@code overrides} ("key=value", value as JSON when it parses, else a string). */
    public static TrainingConfig load(Path file, List<String> overrides) {
        if (!Files.isRegularFile(file)) throw BadInputException.at(file.toString(), "config file not found");
        JsonNode node;
        try {
            node = Block.JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw BadInputException.at(file.toString(), "not valid JSON at line " + e.getLocation().getLineNr());
        } catch (IOException e) {
            throw BadInputException.at(file.toString(), "cannot read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) throw BadInputException.at(file.toString(), "the config must be a JSON object");
        ObjectNode root = (ObjectNode) node;
        for (String o : overrides) applyOverride(root, o);
        return parse(root, file.toString());
    }

    /** "a.b=value": sets root.a.b, creating objects on the way. */
    static void applyOverride(ObjectNode root, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) throw BadInputException.at("--set " + override, "expected key=value");
        String[] path = override.substring(0, eq).trim().split("\\.");
        JsonNode value = overrideValue(override.substring(eq + 1));
        ObjectNode at = root;
        for (int i = 0; i < path.length - 1; i++) {
            JsonNode next = at.get(path[i]);
            if (next == null || !next.isObject()) next = at.putObject(path[i]);
            at = (ObjectNode) next;
        }
        at.set(path[path.length - 1], value);
    }

    /**
     * The value of a {@code --set key=value} (and of the other commands' {@code KEY=VALUE} options):
     * the text read as JSON when it parses, all of it ({@code 3}, {@code true}, {@code [1, 2]}, {@code "x"}),
     * else the text itself as a string ({@code 26 Jul 2024}, not 26).
     */
    public static JsonNode overrideValue(String raw) {
        try {
            JsonNode value = Block.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(raw);
            return value == null || value.isMissingNode() ? JsonNodeFactory.instance.textNode(raw) : value;
        } catch (JsonProcessingException e) {
            return JsonNodeFactory.instance.textNode(raw);
        }
    }

    /** Checks {@code root} whole; {@code where} (the file) ends the one-line error. */
    public static TrainingConfig parse(ObjectNode root, String where) {
        return new TrainingConfigParser().build(root.deepCopy(), where);
    }

    private TrainingConfig build(ObjectNode root, String where) {
        List<Block> all = new ArrayList<>(BLOCKS);
        all.addFirst(TOP);
        Values v = TOP.read(root, problems, all);
        int before = problems.size();
        Values lv = nested(v, LORA_BLOCK, LORA, all);
        boolean loraOk = problems.size() == before;
        before = problems.size();
        Values qv = nested(v, QUANTIZATION_BLOCK, QUANTIZATION, all);
        boolean quantizationOk = problems.size() == before;
        Values mv = nested(v, MONITOR_BLOCK, MONITOR, all);
        for (Key<String> required : List.of(MODEL_NAME_OR_PATH, OUTPUT_DIR, TRAIN_FILE))
            if (!v.given(required) && !root.has(required.name())) problems.add("missing \"" + required.name() + "\"");

        ModelSettings model = new ModelSettings(v.get(MODEL_NAME_OR_PATH), v.get(ADAPTER_NAME_OR_PATH), v.get(TASK));
        DataSettings data = data(v);
        BatchSettings batching = new BatchSettings(v.get(PER_DEVICE_TRAIN_BATCH_SIZE), v.get(PER_DEVICE_EVAL_BATCH_SIZE),
                v.get(GRADIENT_ACCUMULATION_STEPS), v.get(NUM_TRAIN_EPOCHS), v.get(MAX_STEPS));
        OptimizerSettings optimizer = new OptimizerSettings(v.get(OPTIM), v.get(LEARNING_RATE), v.get(WEIGHT_DECAY), v.get(ADAM_BETA1),
                v.get(ADAM_BETA2), v.get(ADAM_EPSILON), v.get(MAX_GRAD_NORM));
        ScheduleSettings schedule = new ScheduleSettings(v.get(LR_SCHEDULER_TYPE),
                schedulerKwargs(v.get(LR_SCHEDULER_TYPE), v.get(LR_SCHEDULER_KWARGS), optimizer.learningRate()),
                v.get(WARMUP_RATIO), v.get(WARMUP_STEPS));
        List<String> reportTo = v.get(REPORT_TO).contains("none") ? List.of() : v.get(REPORT_TO);
        finals.put(REPORT_TO, reportTo);
        LoggingSettings logging = new LoggingSettings(v.get(LOGGING_STRATEGY), v.get(LOGGING_STEPS), v.get(LOGGING_FIRST_STEP), reportTo);
        EvaluationSettings evaluation = evaluation(v, logging, data);
        String resume = v.get(RESUME_FROM_CHECKPOINT);
        if (resume != null && resume.isEmpty()) resume = null;
        finals.put(RESUME_FROM_CHECKPOINT, resume);
        SavingSettings saving = new SavingSettings(v.get(OUTPUT_DIR), v.get(SAVE_STRATEGY), v.get(SAVE_STEPS), v.get(SAVE_TOTAL_LIMIT), resume);
        bestModelRules(evaluation, saving);
        RunSettings run = new RunSettings(v.get(SEED), v.get(DEVICE), v.get(BF16), v.get(GRADIENT_CHECKPOINTING), v.get(DDP_TIMEOUT));

        if (model.adapterNameOrPath() != null && v.given(LORA_BLOCK))
            problems.add("give \"lora\" (a new adapter) or \"adapter_name_or_path\" (an existing one), not both");
        else if (model.adapterNameOrPath() == null && !v.given(LORA_BLOCK) && resume == null && !root.has("lora"))
            problems.add("training needs a \"lora\" block (a new adapter) or \"adapter_name_or_path\"");
        // the blocks' own semantics (PEFT's, bitsandbytes') once their keys and values are right
        LoraConfig lora = lv == null || !loraOk ? null : lora(lv, model);
        QuantizationConfig quantization = qv == null || !quantizationOk ? null : quantization(v.get(QUANTIZATION_BLOCK));
        MonitorSettings monitor = monitor(mv);
        if (data.trainOnResponsesOnly() == Boolean.TRUE && model.task() == Task.SEQUENCE_CLASSIFICATION)
            problems.add("\"train_on_responses_only\" applies to causal LM data, not to sequence classification");
        if (data.paddingFree() && model.task() == Task.SEQUENCE_CLASSIFICATION)
            problems.add("\"" + (data.packing() ? "packing" : "padding_free") + "\" applies to causal LM data, not to sequence classification "
                    + "(its score is read at each row's last token)");
        if (data.trainOnResponsesOnly() == Boolean.TRUE && data.dataFormat() == DataFormat.TOKENIZED)
            problems.add("\"train_on_responses_only\" does not apply to data_format \"tokenized\": the rows carry their own labels "
                    + "(-100 where no loss is wanted)");

        if (!problems.isEmpty()) throw BadInputException.at(where, String.join("; ", problems));
        finals.put(LORA_BLOCK, lv == null ? null : lv.toJson(Map.of(LORA_BASE_MODEL, lora.baseModelNameOrPath(),
                LORA_TARGET_MODULES, v.get(LORA_BLOCK).path("target_modules").isMissingNode()
                        ? Block.JSON.valueToTree(List.of("q_proj", "v_proj")) : v.get(LORA_BLOCK).get("target_modules"))));
        finals.put(QUANTIZATION_BLOCK, qv == null ? null : qv.toJson(Map.of()));
        finals.put(MONITOR_BLOCK, mv == null ? null : mv.toJson(Map.of()));
        return new TrainingConfig(model, data, batching, optimizer, schedule, logging, evaluation, saving, run, lora, quantization,
                monitor, v.toJson(finals));
    }

    /** A nested block's values, or null when the block is absent (or not an object: already a problem). */
    private Values nested(Values top, Key<JsonNode> key, Block block, List<Block> all) {
        JsonNode node = top.get(key);
        return node == null ? null : block.read((ObjectNode) node, problems, all);
    }

    private DataSettings data(Values v) {
        Integer fold = v.get(FOLD), folds = v.get(NUM_FOLDS);
        if ((fold == null) != (folds == null)) problems.add("\"fold\" and \"num_folds\" go together");
        else if (fold != null && fold >= folds) problems.add("\"fold\" must be below \"num_folds\" (" + fold + " ≥ " + folds + ")");
        if (v.given(VALIDATION_SPLIT) && v.given(EVAL_FILE)) problems.add("give \"eval_file\" or \"validation_split\", not both");
        if (fold != null && (v.given(EVAL_FILE) || v.given(VALIDATION_SPLIT)))
            problems.add("\"fold\" holds out its own eval rows: drop \"eval_file\"/\"validation_split\"");
        long dataSeed = v.given(DATA_SEED) ? v.get(DATA_SEED) : v.get(SEED);
        if (v.get(PACKING) && v.given(PADDING_FREE) && !v.get(PADDING_FREE))
            problems.add("\"padding_free\": false does not go with \"packing\": true (packs are always padding-free here)");
        if (v.given(PACKING_STRATEGY) && !v.get(PACKING)) problems.add("\"packing_strategy\" needs \"packing\": true");
        return new DataSettings(v.get(TRAIN_FILE), v.get(EVAL_FILE), v.get(VALIDATION_SPLIT), v.get(MAX_EVAL_SAMPLES), v.get(MAX_LENGTH),
                v.get(DATA_FORMAT), v.get(TRAIN_ON_RESPONSES_ONLY), v.get(ADD_EOS_TOKEN),
                chatTemplateKwargs(v.get(CHAT_TEMPLATE_KWARGS)), v.get(SHUFFLE), v.get(GROUP_BY_LENGTH),
                v.get(DATALOADER_DROP_LAST), v.get(FRACTION), fold, folds, dataSeed, v.get(PACKING), v.get(PACKING_STRATEGY),
                v.given(PADDING_FREE) ? v.get(PADDING_FREE) : v.get(PACKING));
    }

    /** {@code chat_template_kwargs}: names the template may take, a {@code tools} that is a list of tool definitions. */
    private Map<String, Object> chatTemplateKwargs(JsonNode block) {
        if (block == null) return Map.of();
        for (var f : block.properties()) {
            String problem = TemplateVariables.problem(f.getKey(), f.getValue());
            if (problem != null) problems.add("\"chat_template_kwargs" + (f.getKey().equals("tools") ? ".tools\" " : "\" ") + problem);
        }
        return TemplateVariables.of(block);
    }

    private EvaluationSettings evaluation(Values v, LoggingSettings logging, DataSettings data) {
        IntervalStrategy strategy = v.get(EVAL_STRATEGY);
        double steps = v.given(EVAL_STEPS) ? v.get(EVAL_STEPS) : logging.steps();
        finals.put(EVAL_STEPS, steps);
        boolean greater = v.given(GREATER_IS_BETTER) ? v.get(GREATER_IS_BETTER) : v.get(METRIC_FOR_BEST_MODEL).greaterIsBetter();
        finals.put(GREATER_IS_BETTER, greater);
        EvaluationSettings e = new EvaluationSettings(strategy, steps, v.get(EVAL_ON_START), v.get(METRIC_FOR_BEST_MODEL), greater,
                v.get(LOAD_BEST_MODEL_AT_END), v.get(EARLY_STOPPING_PATIENCE), v.get(EARLY_STOPPING_THRESHOLD));
        if (e.enabled() && !data.hasEvalSet())
            problems.add("\"eval_strategy\": \"" + strategy.configName() + "\" needs an evaluation set (\"eval_file\", \"validation_split\" or \"fold\")");
        if (e.onStart() && !e.enabled()) problems.add("\"eval_on_start\" needs evaluation (\"eval_strategy\": \"steps\" or \"epoch\")");
        if (e.earlyStoppingPatience() != null && (!e.loadBestModelAtEnd() || !e.enabled()))
            problems.add("\"early_stopping_patience\" needs \"load_best_model_at_end\": true and evaluation (as HF's EarlyStoppingCallback)");
        return e;
    }

    /** HF's rules for load_best_model_at_end. */
    private void bestModelRules(EvaluationSettings e, SavingSettings s) {
        if (!e.loadBestModelAtEnd()) return;
        if (!e.enabled()) {
            problems.add("\"load_best_model_at_end\" needs evaluation (\"eval_strategy\": \"steps\" or \"epoch\")");
            return;
        }
        boolean sameStrategy = s.strategy().configName().equals(e.strategy().configName());
        if (!sameStrategy && s.strategy() != SaveStrategy.BEST)
            problems.add("\"load_best_model_at_end\" needs \"save_strategy\" equal to \"eval_strategy\" (as in HF)");
        else if (s.strategy() == SaveStrategy.STEPS) {
            double save = s.steps(), eval = e.steps();
            if ((save < 1) != (eval < 1))
                problems.add("\"save_steps\" and \"eval_steps\" must both be step counts or both be ratios with \"load_best_model_at_end\" (as in HF)");
            else if (save >= 1 ? save % eval != 0 : Math.abs(Math.rint(save / eval) - save / eval) > 1e-9)
                problems.add("\"save_steps\" must be a multiple of \"eval_steps\" with \"load_best_model_at_end\" (as in HF)");
        }
    }

    /** {@code lr_scheduler_kwargs}: the keys the schedule takes (HF's names), numbers; min_lr becomes a rate of the base. */
    private LrSchedule.Args schedulerKwargs(LrSchedule type, JsonNode block, double lr) {
        Double[] v = new Double[5];   // num_cycles, power, lr_end, timescale, min_lr_rate
        if (block != null) {
            for (var f : block.properties()) {
                if (!type.kwargs().contains(f.getKey())) {
                    String hint = Suggest.nearest(f.getKey(), type.kwargs()).map(s -> "; did you mean \"" + s + "\"?").orElse("");
                    problems.add("\"lr_scheduler_kwargs\": " + type.hfName() + " takes " + (type.kwargs().isEmpty() ? "none"
                            : String.join(", ", type.kwargs())) + ", not \"" + f.getKey() + "\"" + hint);
                    continue;
                }
                if (!f.getValue().isNumber() || !(f.getValue().asDouble() >= 0)) {
                    problems.add("\"lr_scheduler_kwargs." + f.getKey() + "\" must be a number ≥ 0 (got " + Types.shown(f.getValue()) + ")");
                    continue;
                }
                double d = f.getValue().asDouble();
                switch (f.getKey()) {
                    case "num_cycles" -> v[0] = d;
                    case "power" -> v[1] = d;
                    case "lr_end" -> v[2] = d;
                    case "timescale" -> v[3] = d;
                    case "min_lr_rate" -> v[4] = d;
                    case "min_lr" -> v[4] = lr > 0 ? d / lr : 0.0;
                    default -> throw new IllegalStateException(f.getKey());
                }
            }
            if (block.has("min_lr") && block.has("min_lr_rate")) problems.add("\"lr_scheduler_kwargs\": give min_lr or min_lr_rate, not both");
        }
        if (type == LrSchedule.COSINE_WITH_MIN_LR && v[4] == null)
            problems.add("\"lr_scheduler_kwargs\": cosine_with_min_lr needs min_lr or min_lr_rate (as in HF)");
        if (type == LrSchedule.POLYNOMIAL && !(lr > (v[2] == null ? 1e-7 : v[2])))
            problems.add("\"learning_rate\" must be above lr_end for the polynomial schedule (as in HF)");
        return new LrSchedule.Args(v[0], v[1], v[2], v[3], v[4]);
    }

    /**
     * The {@code lora} block as PEFT's LoraConfig, its defaults filled in (r 8, and PEFT's
     * targets for these model types, q_proj and v_proj); task_type stays null when not given (the
     * model's task decides). Read by the same code that reads adapter_config.json.
     */
    private LoraConfig lora(Values lv, ModelSettings model) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        for (Key<?> k : LORA.keys()) {
            if (k.inert() || lv.get(k) == null) continue;
            n.set(k.name(), Block.JSON.valueToTree(lv.get(k) instanceof JsonNode j ? j : Block.JSON.valueToTree(lv.get(k))));
        }
        if (!n.has("r")) n.put("r", LORA_R.defaultValue());
        if (!n.has("target_modules")) n.putArray("target_modules").add("q_proj").add("v_proj");
        if (!n.has("base_model_name_or_path") && model.modelNameOrPath() != null) n.put("base_model_name_or_path", model.modelNameOrPath());
        if (model.task() != null && n.has("task_type")) {
            String want = model.task() == Task.SEQUENCE_CLASSIFICATION ? "SEQ_CLS" : "CAUSAL_LM";
            if (!n.get("task_type").asText().equals(want))
                problems.add("\"lora.task_type\": \"" + n.get("task_type").asText() + "\" does not fit \"task\": \""
                        + TASK.type().toJson(model.task()) + "\" (" + want + ")");
        }
        try {
            return LoraConfig.fromJson(n, "lora");
        } catch (BadInputException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    /** The {@code quantization} block, read as transformers' BitsAndBytesConfig (the same code that reads a 4-bit checkpoint's config). */
    private QuantizationConfig quantization(JsonNode block) {
        ObjectNode wrapper = JsonNodeFactory.instance.objectNode();
        wrapper.set("quantization_config", block);
        try {
            return QuantizationConfig.fromConfig(wrapper, Path.of("quantization"));
        } catch (BadInputException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    private MonitorSettings monitor(Values mv) {
        if (mv == null) return MonitorSettings.DEFAULTS;
        try {
            return new MonitorSettings(mv.get(M_ENABLED), mv.get(M_STABILITY_WINDOW), mv.get(M_BALANCE_WINDOW), mv.get(M_MIN_GAP),
                    mv.get(M_MAX_GAP), mv.get(M_MAX_MEAN_VARIANCE), mv.get(M_MIN_VARIANCE_RATIO), mv.get(M_MAX_STABLE_CHECKPOINTS),
                    mv.get(M_MIN_STEPS_BETWEEN));
        } catch (IllegalArgumentException e) {
            problems.add("\"monitor\": " + e.getMessage());
            return MonitorSettings.DEFAULTS;
        }
    }
}
