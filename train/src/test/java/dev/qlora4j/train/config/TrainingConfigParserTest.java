package dev.qlora4j.train.config;

import dev.qlora4j.train.monitor.MonitorSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.config.Modes.BestMetric;
import dev.qlora4j.train.config.Modes.IntervalStrategy;
import dev.qlora4j.train.config.Modes.Optim;
import dev.qlora4j.train.config.Modes.SaveStrategy;
import dev.qlora4j.train.trainer.LrSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingConfigParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode minimal() {
        ObjectNode n = JSON.createObjectNode().put("model_name_or_path", "m").put("output_dir", "o").put("train_file", "t.jsonl");
        n.putObject("lora");
        return n;
    }

    private static String error(ObjectNode n) {
        try {
            TrainingConfigParser.parse(n, "run.json");
        } catch (BadInputException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a config error for " + n);
    }

    @Test
    void defaultsAreTrainingArgumentsDefaults() {
        TrainingConfig c = TrainingConfigParser.parse(minimal(), "run.json");
        assertThat(c.optimizer().learningRate()).isEqualTo(5e-5);
        assertThat(c.batching().perDeviceTrainBatchSize()).isEqualTo(8);
        assertThat(c.batching().gradientAccumulationSteps()).isEqualTo(1);
        assertThat(c.batching().numTrainEpochs()).isEqualTo(3.0);
        assertThat(c.batching().maxSteps()).isEqualTo(-1);
        assertThat(c.schedule().type()).isEqualTo(LrSchedule.LINEAR);
        assertThat(c.optimizer().maxGradNorm()).isEqualTo(1.0);
        assertThat(c.logging().steps()).isEqualTo(500);
        assertThat(c.evaluation().strategy()).isEqualTo(IntervalStrategy.NO);
        assertThat(c.saving().strategy()).isEqualTo(SaveStrategy.STEPS);
        assertThat(c.saving().steps()).isEqualTo(500);
        assertThat(c.run().seed()).isEqualTo(42);
        assertThat(c.optimizer().optim()).isEqualTo(Optim.ADAMW_TORCH);
        assertThat(c.data().shuffle()).isTrue();
        assertThat(c.data().addEosToken()).isTrue();
        assertThat(c.evaluation().metricForBestModel()).isEqualTo(BestMetric.LOSS);
        assertThat(c.evaluation().greaterIsBetter()).isFalse();
        assertThat(c.lora().r()).as("PEFT's default rank").isEqualTo(8);
        assertThat(c.lora().loraAlpha()).isEqualTo(8);
        assertThat(c.lora().targetModules()).containsExactly("q_proj", "v_proj");
        assertThat(c.lora().taskType()).as("the model decides").isNull();
        assertThat(c.lora().baseModelNameOrPath()).isEqualTo("m");
        assertThat(c.monitor()).isEqualTo(MonitorSettings.DEFAULTS);
        assertThat(c.resolved().get("learning_rate").asDouble()).isEqualTo(5e-5);
        assertThat(c.resolved().get("logging_strategy").asText()).isEqualTo("steps");
        assertThat(c.resolved().get("optim").asText()).isEqualTo("adamw_torch");
        assertThat(c.resolved().get("eval_on_start").asBoolean()).isFalse();
        assertThat(c.resolved().get("eval_steps").asInt()).isEqualTo(500);
        assertThat(c.resolved().get("monitor").isNull()).isTrue();
        assertThat(c.resolved().get("lora").get("target_modules").toString()).isEqualTo("[\"q_proj\",\"v_proj\"]");
        assertThat(c.resolved().has("overwrite_output_dir")).as("inert keys are not saved").isFalse();
    }

    @Test
    void readsEveryMonitorKey() {
        ObjectNode n = minimal();
        n.putObject("monitor").put("enabled", false).put("stability_window", 3).put("balance_window", 20)
                .put("min_gap", 0).put("max_gap", 0.5).put("max_mean_variance", 0.05).put("min_variance_ratio", 0.5)
                .put("max_stable_checkpoints", 2).put("min_steps_between_checkpoints", 250);
        assertThat(TrainingConfigParser.parse(n, "run.json").monitor())
                .isEqualTo(new MonitorSettings(false, 3, 20, 0.0, 0.5, 0.05, 0.5, 2, 250));
    }

    @Test
    void everyKeyOfTheDeclarationsIsInTrainingConfigJson() {
        TrainingConfig c = TrainingConfigParser.parse(minimal(), "run.json");
        for (Key<?> k : ConfigKeys.TOP.keys())
            if (!k.inert()) assertThat(c.resolved().has(k.name())).as(k.name()).isTrue();
        for (Key<?> k : ConfigKeys.LORA.keys())
            if (!k.inert()) assertThat(c.resolved().get("lora").has(k.name())).as(k.path()).isTrue();
        assertThat(c.resolved().size()).isEqualTo(ConfigKeys.TOP.keys().stream().filter(k -> !k.inert()).count());
    }

    @Test
    void oneErrorListsEveryProblem() {
        ObjectNode n = minimal().put("learning_rate", "fast").put("colour", "blue").put("lr_scheduler_type", "reduce_lr_on_plateau")
                .put("warmup_ratio", 2).put("optim", "sgd");
        assertThat(error(n)).isEqualTo("unknown key \"colour\"; \"optim\" must be one of adamw_torch, adamw_torch_fused, adamw_hf, "
                + "paged_adamw_32bit, adamw_8bit, paged_adamw_8bit, adamw_bnb_8bit (got \"sgd\"); \"learning_rate\" must be a number "
                + "(got \"fast\"); \"lr_scheduler_type\" must be one of linear, cosine, cosine_with_restarts, polynomial, constant, "
                + "constant_with_warmup, inverse_sqrt, cosine_with_min_lr (got \"reduce_lr_on_plateau\"); \"warmup_ratio\" must be a "
                + "number in [0, 1] (got 2) (run.json)");
        assertThat(error(JSON.createObjectNode()))
                .isEqualTo("missing \"model_name_or_path\"; missing \"output_dir\"; missing \"train_file\"; "
                        + "training needs a \"lora\" block (a new adapter) or \"adapter_name_or_path\" (run.json)");
    }

    @Test
    void unknownKeysAtTheTopAndInEveryBlockNameTheNearestKnownOne() {
        ObjectNode n = minimal().put("learning_rat", 1e-4).put("lora_alpha", 16);
        ((ObjectNode) n.get("lora")).put("r", 4).put("lora_alpah", 32);
        n.putObject("quantization").put("load_in_4bit", true).put("bnb_4bit_quant_type", "nf4").put("bnb_4bit_use_double_qant", true);
        n.putObject("monitor").put("stability_windw", 3).put("colour", 1);
        assertThat(error(n)).isEqualTo("unknown key \"learning_rat\" (did you mean \"learning_rate\"?); "
                + "unknown key \"lora_alpha\" (it belongs in the \"lora\" block); "
                + "unknown key \"lora.lora_alpah\" (did you mean \"lora_alpha\"?); "
                + "unknown key \"quantization.bnb_4bit_use_double_qant\" (did you mean \"bnb_4bit_use_double_quant\"?); "
                + "unknown key \"monitor.stability_windw\" (did you mean \"stability_window\"?); unknown key \"monitor.colour\" (run.json)");
    }

    @Test
    void wrongTypesRangesAndEnumValuesInBlocks() {
        ObjectNode n = minimal().put("per_device_train_batch_size", 2.5).put("eval_strategy", "step");
        n.put("validation_split", 0.1);
        ((ObjectNode) n.get("lora")).put("r", 0).put("lora_dropout", 1.5).put("bias", "all").put("target_modules", 3);
        n.putObject("quantization").put("load_in_4bit", "yes").put("bnb_4bit_quant_type", "fp4");
        n.putObject("monitor").put("min_variance_ratio", 2).put("enabled", 1);
        assertThat(error(n)).isEqualTo("\"per_device_train_batch_size\" must be an integer (got 2.5); "
                + "\"eval_strategy\" must be one of no, steps, epoch (got \"step\"; did you mean \"steps\"?); "
                + "\"lora.r\" must be an integer ≥ 1 (got 0); \"lora.lora_dropout\" must be a number in [0, 1) (got 1.5); "
                + "\"lora.target_modules\" must be a module name, a list of them, \"all-linear\", or one regular expression (got 3); "
                + "\"lora.bias\" must be \"none\" (bias training is not supported) (got \"all\"); "
                + "\"quantization.load_in_4bit\" must be true (only 4-bit quantization is supported) (got \"yes\"); "
                + "\"quantization.bnb_4bit_quant_type\" must be \"nf4\" (only NF4 is supported; BitsAndBytesConfig's default is fp4) (got \"fp4\"); "
                + "\"monitor.enabled\" must be true or false (got 1); \"monitor.min_variance_ratio\" must be a number in [0, 1] (got 2) (run.json)");
    }

    @Test
    void conflictingKeys() {
        assertThat(error(minimal().put("eval_strategy", "steps")))
                .isEqualTo("\"eval_strategy\": \"steps\" needs an evaluation set (\"eval_file\", \"validation_split\" or \"fold\") (run.json)");
        ObjectNode both = minimal().put("adapter_name_or_path", "a");
        assertThat(error(both)).isEqualTo("give \"lora\" (a new adapter) or \"adapter_name_or_path\" (an existing one), not both (run.json)");
        ObjectNode gap = minimal();
        gap.putObject("monitor").put("min_gap", 0.5).put("max_gap", 0.2);
        assertThat(error(gap)).isEqualTo("\"monitor\": min_gap must not exceed max_gap (run.json)");
        ObjectNode task = minimal().put("task", "sequence_classification");
        ((ObjectNode) task.get("lora")).put("task_type", "CAUSAL_LM");
        assertThat(error(task)).isEqualTo("\"lora.task_type\": \"CAUSAL_LM\" does not fit \"task\": \"sequence_classification\" (SEQ_CLS) (run.json)");
        assertThat(error(minimal().put("eval_file", "e.jsonl").put("validation_split", 0.1)))
                .isEqualTo("give \"eval_file\" or \"validation_split\", not both (run.json)");
        assertThat(error(minimal().put("data_format", "tokenized").put("train_on_responses_only", true)))
                .isEqualTo("\"train_on_responses_only\" does not apply to data_format \"tokenized\": the rows carry their own labels "
                        + "(-100 where no loss is wanted) (run.json)");
        assertThat(TrainingConfigParser.parse(minimal().put("data_format", "tokenized").put("add_eos_token", false), "run.json").data())
                .extracting(d -> d.dataFormat().key(), d -> d.addEosToken()).containsExactly("tokenized", false);
    }

    @Test
    void chatTemplateKwargsAreTemplateVariables() {
        assertThat(TrainingConfigParser.parse(minimal(), "run.json").data().chatTemplateKwargs()).isEmpty();
        ObjectNode n = minimal();
        n.putObject("chat_template_kwargs").put("enable_thinking", false).put("date_string", "26 Jul 2024").putNull("documents")
                .putArray("tools").addObject().put("type", "function");
        TrainingConfig c = TrainingConfigParser.parse(n, "run.json");
        Map<String, Object> expected = new java.util.LinkedHashMap<>();
        expected.put("enable_thinking", false);
        expected.put("date_string", "26 Jul 2024");
        expected.put("documents", null);
        expected.put("tools", List.of(Map.of("type", "function")));
        assertThat(c.data().chatTemplateKwargs()).containsExactlyEntriesOf(expected);
        assertThat(c.resolved().get("chat_template_kwargs")).isEqualTo(n.get("chat_template_kwargs"));

        assertThat(error(minimal().put("chat_template_kwargs", "enable_thinking=false")))
                .isEqualTo("\"chat_template_kwargs\" must be an object (got \"enable_thinking=false\") (run.json)");
        ObjectNode tools = minimal();
        tools.putObject("chat_template_kwargs").put("tools", "get_weather");
        assertThat(error(tools)).isEqualTo(
                "\"chat_template_kwargs.tools\" is not a list of tool definitions (JSON objects): got a string (run.json)");
        ObjectNode messages = minimal();
        messages.putObject("chat_template_kwargs").putArray("messages");
        assertThat(error(messages)).isEqualTo(
                "\"chat_template_kwargs\" gives \"messages\" as a template variable: the conversation is the messages (run.json)");
    }

    @Test
    void notebookArgumentsPasteIn() {
        ObjectNode n = minimal().put("max_seq_length", 512).put("optim", "paged_adamw_32bit").put("eval_accumulation_steps", 4)
                .put("save_only_model", true).put("dataset_text_field", "text").put("packing", false).put("neftune_noise_alpha", 0);
        n.putObject("gradient_checkpointing_kwargs").put("use_reentrant", false);
        TrainingConfig c = TrainingConfigParser.parse(n, "run.json");
        assertThat(c.data().maxLength()).isEqualTo(512);
        assertThat(c.optimizer().optim()).isEqualTo(Optim.PAGED_ADAMW_32BIT);
        assertThat(c.data().dataSeed()).as("data order follows seed without data_seed").isEqualTo(42);
        TrainingConfig seeded = TrainingConfigParser.parse(minimal().put("seed", 3).put("data_seed", 7).put("auto_find_batch_size", true), "r.json");
        assertThat(seeded.run().seed()).isEqualTo(3);
        assertThat(seeded.data().dataSeed()).isEqualTo(7);
        assertThat(seeded.resolved().get("data_seed").asLong()).isEqualTo(7);
        assertThat(error(minimal().put("max_seq_length", 512).put("max_length", 256).put("fp16", true).put("label_smoothing_factor", 0.1)))
                .isEqualTo("give \"max_length\" or its old name \"max_seq_length\", not both; "
                        + "\"fp16\" must be false (true is not supported here) (got true); "
                        + "\"label_smoothing_factor\" must be 0 (it is not supported here) (got 0.1) (run.json)");
        TrainingConfig old = TrainingConfigParser.parse(minimal().put("evaluation_strategy", "epoch").put("eval_file", "e"), "r.json");
        assertThat(old.evaluation().strategy()).isEqualTo(IntervalStrategy.EPOCH);
        assertThat(old.resolved().get("eval_strategy").asText()).isEqualTo("epoch");
    }

    @Test
    void intervalsBelowOneAreSharesOfTheRun() {
        TrainingConfig c = TrainingConfigParser.parse(minimal().put("logging_steps", 0.1).put("eval_strategy", "steps")
                .put("validation_split", 0.2).put("save_steps", 0.25), "run.json");
        assertThat(c.evaluation().steps()).as("eval_steps defaults to logging_steps").isEqualTo(0.1);
        assertThat(TrainingConfig.steps(c.logging().steps(), 95)).isEqualTo(10);    // HF: ceil(95 · 0.1)
        assertThat(TrainingConfig.steps(c.saving().steps(), 95)).isEqualTo(24);
        assertThat(TrainingConfig.steps(c.saving().steps(), 2)).isEqualTo(1);
        assertThat(TrainingConfig.steps(7, 95)).isEqualTo(7);
        assertThat(c.resolved().get("logging_steps").asDouble()).isEqualTo(0.1);
        assertThat(c.resolved().get("eval_steps").asDouble()).isEqualTo(0.1);
        assertThat(TrainingConfigParser.parse(minimal(), "run.json").resolved().get("logging_steps").isIntegralNumber()).isTrue();

        assertThat(error(minimal().put("logging_steps", 2.5).put("save_steps", 0)))
                .isEqualTo("\"logging_steps\" must be a whole number of steps when it is 1 or more (got 2.5); "
                        + "\"save_steps\" must be a number of steps ≥ 1, or a share of the run's steps below 1 (got 0) (run.json)");
        ObjectNode mixed = minimal().put("eval_strategy", "steps").put("eval_steps", 0.1).put("save_steps", 100)
                .put("load_best_model_at_end", true).put("eval_file", "e");
        assertThat(error(mixed)).contains("must both be step counts or both be ratios");
        ObjectNode ratios = minimal().put("eval_strategy", "steps").put("eval_steps", 0.1).put("save_steps", 0.2)
                .put("load_best_model_at_end", true).put("eval_file", "e");
        assertThat(TrainingConfigParser.parse(ratios, "run.json").saving().steps()).isEqualTo(0.2);
    }

    @Test
    void bestModelNeedsMatchingStrategies() {
        ObjectNode n = minimal().put("load_best_model_at_end", true);
        assertThat(error(n)).isEqualTo("\"load_best_model_at_end\" needs evaluation (\"eval_strategy\": \"steps\" or \"epoch\") (run.json)");
        n.put("eval_strategy", "steps").put("eval_steps", 100).put("save_steps", 150).put("eval_file", "e");
        assertThat(error(n)).isEqualTo("\"save_steps\" must be a multiple of \"eval_steps\" with \"load_best_model_at_end\" (as in HF) (run.json)");
        n.put("save_steps", 200).put("metric_for_best_model", "eval_accuracy");
        TrainingConfig c = TrainingConfigParser.parse(n, "r");
        assertThat(c.evaluation().metricForBestModel()).isEqualTo(BestMetric.ACCURACY);
        assertThat(c.evaluation().greaterIsBetter()).isTrue();
        assertThat(c.resolved().get("metric_for_best_model").asText()).isEqualTo("accuracy");
        assertThat(c.resolved().get("greater_is_better").asBoolean()).isTrue();
    }

    @Test
    void setOverridesTakeJsonValuesAndDottedKeys(@TempDir Path dir) throws IOException {
        ObjectNode n = minimal();
        ((ObjectNode) n.get("lora")).put("r", 8);
        Path f = Files.writeString(dir.resolve("run.json"), n.toString());
        TrainingConfig c = TrainingConfigParser.load(f, List.of("learning_rate=2e-4", "lora.r=16", "lora.target_modules=[\"q_proj\",\"k_proj\"]",
                "output_dir=out dir", "resume_from_checkpoint=true"));
        assertThat(c.optimizer().learningRate()).isEqualTo(2e-4);
        assertThat(c.lora().r()).isEqualTo(16);
        assertThat(c.lora().targetModules()).containsExactly("q_proj", "k_proj");
        assertThat(c.saving().outputDir()).isEqualTo("out dir");
        assertThat(c.saving().resumeFromCheckpoint()).isEqualTo(ConfigKeys.LATEST);
        assertThat(TrainingConfigParser.load(f, List.of("resume_from_checkpoint=false")).saving().resumeFromCheckpoint()).isNull();
        // JSON only when all of the value parses: "2024 run" is a string, not 2024
        assertThat(TrainingConfigParser.load(f, List.of("output_dir=2024 run")).saving().outputDir()).isEqualTo("2024 run");
        assertThat(TrainingConfigParser.overrideValue("26 Jul 2024").textValue()).isEqualTo("26 Jul 2024");
        assertThat(TrainingConfigParser.overrideValue(" 26 ").intValue()).isEqualTo(26);
        assertThatThrownBy(() -> TrainingConfigParser.load(f, List.of("novalue"))).hasMessage("expected key=value (--set novalue)");
        assertThatThrownBy(() -> TrainingConfigParser.load(f, List.of("lora.rr=4")))
                .hasMessage("unknown key \"lora.rr\" (" + f + ")");
    }

    @Test
    void suggestionsAreForTyposOnly() {
        assertThat(Suggest.nearest("lora_alpah", List.of("r", "lora_alpha", "lora_dropout"))).contains("lora_alpha");
        assertThat(Suggest.nearest("colour", List.of("r", "lora_alpha", "seed"))).isEmpty();
        assertThat(Suggest.nearest("rr", List.of("r"))).isEmpty();
        assertThat(Suggest.distance("ab", "ba")).isEqualTo(1);
    }
}
