package dev.qlora4j.train.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.trainer.LrSchedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a training config (JSON; keys are TrainingArguments / LoraConfig / BitsAndBytesConfig
 * names) and {@code --set key=value} overrides, and checks it whole: every unknown key and every
 * bad value is collected, and one error lists them all.
 */
public final class TrainingConfigParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** HF keys accepted for compatibility that change nothing here (with the values that make sense). */
    /** HF / TRL keys that change nothing in this trainer's results (or are refused when set, {@link #inert}). */
    private static final Set<String> INERT = Set.of("overwrite_output_dir", "do_train", "do_eval", "remove_unused_columns",
            "dataloader_num_workers", "run_name", "disable_tqdm", "logging_dir", "push_to_hub", "fp16",
            "tf32", "ddp_find_unused_parameters", "label_names", "dataloader_pin_memory", "save_safetensors",
            "gradient_checkpointing_kwargs", "eval_accumulation_steps", "save_only_model", "dataloader_persistent_workers",
            "dataloader_prefetch_factor", "hub_model_id", "hub_strategy", "hub_private_repo", "torch_compile",
            "include_tokens_per_second", "include_num_input_tokens_seen", "logging_nan_inf_filter", "label_smoothing_factor",
            "neftune_noise_alpha", "packing", "dataset_text_field", "auto_find_batch_size", "full_determinism",
            "torch_empty_cache_steps", "prediction_loss_only", "include_inputs_for_metrics", "ignore_data_skip");

    private final ObjectNode root;
    private final String where;
    private final Set<String> used = new LinkedHashSet<>();
    private final List<String> errors = new ArrayList<>();

    private TrainingConfigParser(ObjectNode root, String where) {
        this.root = root;
        this.where = where;
    }

    /** Reads {@code file} and applies {@code overrides} ("key=value", value as JSON when it parses, else a string). */
    public static TrainingConfig load(Path file, List<String> overrides) {
        if (!Files.isRegularFile(file)) throw BadInputException.at(file.toString(), "config file not found");
        JsonNode node;
        try {
            node = JSON.readTree(Files.readString(file));
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
        String raw = override.substring(eq + 1);
        JsonNode value;
        try {
            value = JSON.readTree(raw);
            if (value == null || value.isMissingNode()) value = JsonNodeFactory.instance.textNode(raw);
        } catch (JsonProcessingException e) {
            value = JsonNodeFactory.instance.textNode(raw);
        }
        ObjectNode at = root;
        for (int i = 0; i < path.length - 1; i++) {
            JsonNode next = at.get(path[i]);
            if (next == null || !next.isObject()) next = at.putObject(path[i]);
            at = (ObjectNode) next;
        }
        at.set(path[path.length - 1], value);
    }

    public static TrainingConfig parse(ObjectNode root, String where) {
        return new TrainingConfigParser(root.deepCopy(), where).build();
    }

    private TrainingConfig build() {
        String model = string("model_name_or_path", null), out = string("output_dir", null), train = string("train_file", null);
        if (model == null) errors.add("missing \"model_name_or_path\"");
        if (out == null) errors.add("missing \"output_dir\"");
        if (train == null) errors.add("missing \"train_file\"");
        String evalFile = string("eval_file", null);
        Double split = optNumber("validation_split", 0, false, 1, false);
        Integer maxEval = optInt("max_eval_samples", 1);
        // TRL's SFTConfig called it max_seq_length before max_length
        if (root.has("max_seq_length") && root.has("max_length")) errors.add("give \"max_length\" or its old name \"max_seq_length\", not both");
        int maxLength = root.has("max_seq_length") ? integer("max_seq_length", 1024, 2) : integer("max_length", 1024, 2);
        String task = choice("task", null, "causal_lm", "sequence_classification");
        String dataFormat = choice("data_format", "auto", "auto", "messages", "text", "prompt_completion", "preference_pair");
        Boolean responsesOnly = root.hasNonNull("train_on_responses_only") ? Boolean.valueOf(bool("train_on_responses_only", false)) : null;
        used.add("train_on_responses_only");
        boolean shuffle = bool("shuffle", true), groupByLength = bool("group_by_length", false);
        boolean dropLast = bool("dataloader_drop_last", false);
        double fraction = number("fraction", 1.0, 0, false, 1, true);
        Integer fold = optInt("fold", 0), folds = optInt("num_folds", 2);
        if ((fold == null) != (folds == null)) errors.add("\"fold\" and \"num_folds\" go together");
        else if (fold != null && fold >= folds) errors.add("\"fold\" must be below \"num_folds\" (" + fold + " ≥ " + folds + ")");
        if (split != null && evalFile != null) errors.add("give \"eval_file\" or \"validation_split\", not both");
        if (fold != null && (evalFile != null || split != null)) errors.add("\"fold\" holds out its own eval rows: drop \"eval_file\"/\"validation_split\"");

        int trainBatch = integer("per_device_train_batch_size", 8, 1), evalBatch = integer("per_device_eval_batch_size", 8, 1);
        int accum = integer("gradient_accumulation_steps", 1, 1);
        double epochs = nonNegative("num_train_epochs", 3.0);
        long maxSteps = integer("max_steps", -1, -1);
        double lr = nonNegative("learning_rate", 5e-5);
        double wd = nonNegative("weight_decay", 0);
        double b1 = number("adam_beta1", 0.9, 0, true, 1, false), b2 = number("adam_beta2", 0.999, 0, true, 1, false);
        double eps = nonNegative("adam_epsilon", 1e-8);
        String optim = choice("optim", "adamw_torch", "adamw_torch", "adamw_torch_fused", "adamw_hf", "paged_adamw_32bit",
                "adamw_8bit", "paged_adamw_8bit", "adamw_bnb_8bit");
        String sched = string("lr_scheduler_type", "linear");
        if (LrSchedule.of(sched) == null)
            errors.add("\"lr_scheduler_type\" must be one of " + String.join(", ", LrSchedule.names()) + " (got \"" + sched + "\")");
        ObjectNode schedKwargs = object("lr_scheduler_kwargs");
        LrSchedule.Args schedArgs = schedulerKwargs(LrSchedule.of(sched), schedKwargs, lr);
        double warmupRatio = number("warmup_ratio", 0, 0, true, 1, true);
        double warmupSteps = nonNegative("warmup_steps", 0);
        double clip = nonNegative("max_grad_norm", 1.0);
        double logging = interval("logging_steps", 500);
        boolean firstStep = bool("logging_first_step", false);
        String loggingStrategy = choice("logging_strategy", "steps", "no", "steps", "epoch");
        if (root.has("evaluation_strategy") && root.has("eval_strategy")) errors.add("give \"eval_strategy\" or its old name \"evaluation_strategy\", not both");
        String evalStrategy = root.has("evaluation_strategy") ? choice("evaluation_strategy", "no", "no", "steps", "epoch")
                : choice("eval_strategy", "no", "no", "steps", "epoch");
        boolean evalOnStart = bool("eval_on_start", false);
        if (evalOnStart && evalStrategy.equals("no")) errors.add("\"eval_on_start\" needs evaluation (\"eval_strategy\": \"steps\" or \"epoch\")");
        double evalSteps = interval("eval_steps", logging);
        String saveStrategy = choice("save_strategy", "steps", "no", "steps", "epoch", "best");
        double saveSteps = interval("save_steps", 500);
        Integer limit = optInt("save_total_limit", 1);
        boolean loadBest = bool("load_best_model_at_end", false);
        String metric = choice("metric_for_best_model", "loss", "loss", "eval_loss", "perplexity", "eval_perplexity",
                "accuracy", "eval_accuracy", "log_loss", "eval_log_loss");
        metric = metric.startsWith("eval_") ? metric.substring(5) : metric;
        boolean greater = bool("greater_is_better", metric.equals("accuracy"));
        // HF's EarlyStoppingCallback(early_stopping_patience, early_stopping_threshold), as config keys
        Integer patience = optInt("early_stopping_patience", 1);
        double threshold = nonNegative("early_stopping_threshold", 0.0);
        if (patience != null && (!loadBest || evalStrategy.equals("no")))
            errors.add("\"early_stopping_patience\" needs \"load_best_model_at_end\": true and evaluation (as HF's EarlyStoppingCallback)");
        if (loadBest && evalStrategy.equals("no")) errors.add("\"load_best_model_at_end\" needs evaluation (\"eval_strategy\": \"steps\" or \"epoch\")");
        if (loadBest && !saveStrategy.equals(evalStrategy) && !saveStrategy.equals("best"))
            errors.add("\"load_best_model_at_end\" needs \"save_strategy\" equal to \"eval_strategy\" (as in HF)");
        else if (loadBest && saveStrategy.equals("steps") && evalStrategy.equals("steps")) {
            if ((saveSteps < 1) != (evalSteps < 1))
                errors.add("\"save_steps\" and \"eval_steps\" must both be step counts or both be ratios with \"load_best_model_at_end\" (as in HF)");
            else if (saveSteps >= 1 ? saveSteps % evalSteps != 0 : Math.abs(Math.rint(saveSteps / evalSteps) - saveSteps / evalSteps) > 1e-9)
                errors.add("\"save_steps\" must be a multiple of \"eval_steps\" with \"load_best_model_at_end\" (as in HF)");
        }
        boolean ckpt = bool("gradient_checkpointing", false), bf16 = bool("bf16", false);
        long seed = integer("seed", 42, Integer.MIN_VALUE);
        Long dataSeed = root.hasNonNull("data_seed") ? Long.valueOf(integer("data_seed", 42L, (long) Integer.MIN_VALUE)) : null;
        take("data_seed");
        String resume = resumeFrom();
        List<String> reportTo = reportTo();
        String adapter = string("adapter_name_or_path", null);
        String device = choice("device", "cpu", "cpu", "cuda");
        // HF's ddp_timeout: seconds a rank waits in a collective for the others before the run is ended
        int ddpTimeout = Math.toIntExact(integer("ddp_timeout", 1800, 1));
        ObjectNode lora = object("lora"), quant = object("quantization"), monitor = object("monitor");
        if (adapter != null && lora != null) errors.add("give \"lora\" (new adapter) or \"adapter_name_or_path\" (existing one), not both");
        inert();
        List<String> unknown = new ArrayList<>();
        root.fieldNames().forEachRemaining(k -> {
            if (!used.contains(k)) unknown.add(k);
        });
        if (!unknown.isEmpty()) errors.addFirst("unknown key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown));
        if (!errors.isEmpty()) throw BadInputException.at(where, String.join("; ", errors));
        ObjectNode resolved = resolved(model, out, train, evalFile, split, maxEval, maxLength, task, dataFormat, responsesOnly, shuffle,
                groupByLength, dropLast, fraction, fold, folds, trainBatch, evalBatch, accum, epochs, maxSteps, lr, wd, b1, b2, eps, optim, sched, schedKwargs, warmupRatio,
                warmupSteps, clip, count(logging), firstStep, loggingStrategy, evalStrategy, evalOnStart, count(evalSteps), saveStrategy, count(saveSteps), limit,
                loadBest, metric, greater, patience, threshold,
                ckpt, bf16, seed, dataSeed, resume, reportTo, adapter, device, ddpTimeout, lora, quant, monitor);
        return new TrainingConfig(model, out, train, evalFile, split, maxEval, maxLength, task, dataFormat, responsesOnly, shuffle,
                groupByLength, dropLast, fraction, fold, folds, trainBatch, evalBatch, accum, epochs, maxSteps, lr, wd, b1, b2, eps, optim, sched, schedArgs, warmupRatio,
                warmupSteps, clip, logging, firstStep, loggingStrategy, evalStrategy, evalOnStart, evalSteps, saveStrategy, saveSteps, limit, loadBest, metric, greater,
                patience, threshold, ckpt, bf16, seed, dataSeed, resume, reportTo, adapter, device, ddpTimeout, lora, quant, monitor, resolved);
    }

    /** {@code lr_scheduler_kwargs}: the keys the schedule takes (HF's names), numbers; min_lr becomes a rate of the base. */
    private LrSchedule.Args schedulerKwargs(LrSchedule type, ObjectNode block, double lr) {
        if (type == null) return LrSchedule.Args.DEFAULTS;
        Double[] v = new Double[5];   // num_cycles, power, lr_end, timescale, min_lr_rate
        if (block != null) {
            for (var it = block.fields(); it.hasNext(); ) {
                var f = it.next();
                if (!type.kwargs().contains(f.getKey())) {
                    errors.add("\"lr_scheduler_kwargs\": " + type.hfName() + " takes " + (type.kwargs().isEmpty() ? "none"
                            : String.join(", ", type.kwargs())) + ", not \"" + f.getKey() + "\"");
                    continue;
                }
                if (!f.getValue().isNumber() || !(f.getValue().asDouble() >= 0)) {
                    errors.add("\"lr_scheduler_kwargs." + f.getKey() + "\" must be a number, 0 or more");
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
            if (block.has("min_lr") && block.has("min_lr_rate")) errors.add("\"lr_scheduler_kwargs\": give min_lr or min_lr_rate, not both");
        }
        if (type == LrSchedule.COSINE_WITH_MIN_LR && v[4] == null)
            errors.add("\"lr_scheduler_kwargs\": cosine_with_min_lr needs min_lr or min_lr_rate (as in HF)");
        if (type == LrSchedule.POLYNOMIAL && !(lr > (v[2] == null ? 1e-7 : v[2])))
            errors.add("\"learning_rate\" must be above lr_end for the polynomial schedule (as in HF)");
        return new LrSchedule.Args(v[0], v[1], v[2], v[3], v[4]);
    }

    /** An interval as written: a whole number of steps as an integer, a ratio as a number. */
    private static Object count(double steps) {
        return steps >= 1 ? (Object) (long) steps : (Object) steps;
    }

    private ObjectNode resolved(Object... values) {
        String[] names = {"model_name_or_path", "output_dir", "train_file", "eval_file", "validation_split", "max_eval_samples",
                "max_length", "task", "data_format", "train_on_responses_only", "shuffle", "group_by_length", "dataloader_drop_last", "fraction", "fold", "num_folds",
                "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps", "num_train_epochs",
                "max_steps", "learning_rate", "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "optim",
                "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_ratio", "warmup_steps", "max_grad_norm", "logging_steps", "logging_first_step",
                "logging_strategy", "eval_strategy", "eval_on_start", "eval_steps", "save_strategy", "save_steps", "save_total_limit", "load_best_model_at_end",
                "metric_for_best_model", "greater_is_better", "early_stopping_patience", "early_stopping_threshold", "gradient_checkpointing", "bf16", "seed", "data_seed", "resume_from_checkpoint",
                "report_to", "adapter_name_or_path", "device", "ddp_timeout", "lora", "quantization", "monitor"};
        ObjectNode n = JSON.createObjectNode();
        for (int i = 0; i < names.length; i++) n.set(names[i], JSON.valueToTree(values[i]));
        return n;
    }

    // ---- typed readers: each marks its key used and records an error instead of throwing ----

    private JsonNode take(String key) {
        used.add(key);
        JsonNode v = root.get(key);
        return v == null || v.isNull() ? null : v;
    }

    private String string(String key, String dflt) {
        JsonNode v = take(key);
        if (v == null) return dflt;
        if (!v.isTextual()) {
            errors.add("\"" + key + "\" must be a string");
            return dflt;
        }
        return v.asText();
    }

    private String choice(String key, String dflt, String... allowed) {
        String v = string(key, dflt);
        if (v == null || List.of(allowed).contains(v)) return v;
        errors.add("\"" + key + "\" must be one of " + String.join(", ", allowed) + " (got \"" + v + "\")");
        return dflt;
    }

    private boolean bool(String key, boolean dflt) {
        JsonNode v = take(key);
        if (v == null) return dflt;
        if (!v.isBoolean()) {
            errors.add("\"" + key + "\" must be true or false");
            return dflt;
        }
        return v.asBoolean();
    }

    private long integer(String key, long dflt, long min) {
        JsonNode v = take(key);
        if (v == null) return dflt;
        if (!v.canConvertToLong() || !(v.isIntegralNumber() || v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))) {
            errors.add("\"" + key + "\" must be an integer");
            return dflt;
        }
        if (v.asLong() < min) {
            errors.add("\"" + key + "\" must be at least " + min + " (got " + v.asLong() + ")");
            return dflt;
        }
        return v.asLong();
    }

    /**
     * {@code logging_steps} / {@code eval_steps} / {@code save_steps}: a positive whole number of
     * steps, or a share of the run's steps in (0, 1) (HF: "a float in range [0,1)").
     */
    private double interval(String key, double dflt) {
        JsonNode v = take(key);
        if (v == null) return dflt;
        if (!v.isNumber() || !(v.asDouble() > 0)) {
            errors.add("\"" + key + "\" must be a positive number of steps, or a share of the run's steps below 1");
            return dflt;
        }
        double d = v.asDouble();
        if (d >= 1 && d != Math.rint(d)) {
            errors.add("\"" + key + "\" must be a whole number of steps when it is 1 or more (got " + d + ")");
            return dflt;
        }
        return d;
    }

    private int integer(String key, int dflt, int min) {
        long v = integer(key, (long) dflt, (long) min);
        if (v > Integer.MAX_VALUE) {
            errors.add("\"" + key + "\" is too large");
            return dflt;
        }
        return (int) v;
    }

    private Integer optInt(String key, int min) {
        if (take(key) == null) return null;
        return integer(key, min, min);
    }

    /** A number in the range from min to max; the flags say whether each end is allowed. */
    private double number(String key, double dflt, double min, boolean minIn, double max, boolean maxIn) {
        JsonNode v = take(key);
        if (v == null) return dflt;
        if (!v.isNumber()) {
            errors.add("\"" + key + "\" must be a number");
            return dflt;
        }
        double d = v.asDouble();
        boolean ok = (minIn ? d >= min : d > min) && (maxIn ? d <= max : d < max);
        if (!ok) {
            errors.add("\"" + key + "\" must be in " + (minIn ? "[" : "(") + min + ", " + (max == Double.MAX_VALUE ? "∞" : max)
                    + (maxIn ? "]" : ")") + " (got " + d + ")");
            return dflt;
        }
        return d;
    }

    private double nonNegative(String key, double dflt) {
        return number(key, dflt, 0, true, Double.MAX_VALUE, true);
    }

    private Double optNumber(String key, double min, boolean minIn, double max, boolean maxIn) {
        if (take(key) == null) return null;
        double d = number(key, Double.NaN, min, minIn, max, maxIn);
        return Double.isNaN(d) ? null : d;
    }

    private ObjectNode object(String key) {
        JsonNode v = take(key);
        if (v == null) return null;
        if (!v.isObject()) {
            errors.add("\"" + key + "\" must be an object");
            return null;
        }
        return (ObjectNode) v;
    }

    /** true = the latest checkpoint in output_dir, a string = that checkpoint folder, false/null = none. */
    private String resumeFrom() {
        JsonNode v = take("resume_from_checkpoint");
        if (v == null || v.isBoolean() && !v.asBoolean()) return null;
        if (v.isBoolean()) return "latest";
        if (v.isTextual()) return v.asText();
        errors.add("\"resume_from_checkpoint\" must be true, false or a checkpoint folder");
        return null;
    }

    private List<String> reportTo() {
        JsonNode v = take("report_to");
        if (v == null) return List.of("tensorboard");
        List<String> names = new ArrayList<>();
        if (v.isTextual()) names.add(v.asText());
        else if (v.isArray()) v.forEach(x -> names.add(x.asText()));
        else errors.add("\"report_to\" must be a string or a list");
        for (String n : names)
            if (!List.of("none", "all", "tensorboard").contains(n)) errors.add("\"report_to\": only \"tensorboard\" (or \"none\", \"all\") is available here (got \"" + n + "\")");
        return names.contains("none") ? List.of() : names;
    }

    private void inert() {
        for (String key : INERT) {
            JsonNode v = take(key);
            if (v == null) continue;
            if ((key.equals("fp16") || key.equals("push_to_hub") || key.equals("packing")) && v.asBoolean())
                errors.add("\"" + key + "\": true is not supported here");
            if ((key.equals("label_smoothing_factor") || key.equals("neftune_noise_alpha")) && v.asDouble() != 0)
                errors.add("\"" + key + "\" is not supported here (only 0 or null)");
        }
    }
}
