package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingConfigParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode minimal() {
        return JSON.createObjectNode().put("model_name_or_path", "m").put("output_dir", "o").put("train_file", "t.jsonl");
    }

    @Test
    void defaultsAreTrainingArgumentsDefaults() {
        TrainingConfig c = TrainingConfigParser.parse(minimal(), "run.json");
        assertThat(c.learningRate()).isEqualTo(5e-5);
        assertThat(c.perDeviceTrainBatchSize()).isEqualTo(8);
        assertThat(c.gradientAccumulationSteps()).isEqualTo(1);
        assertThat(c.numTrainEpochs()).isEqualTo(3.0);
        assertThat(c.maxSteps()).isEqualTo(-1);
        assertThat(c.lrSchedulerType()).isEqualTo("linear");
        assertThat(c.maxGradNorm()).isEqualTo(1.0);
        assertThat(c.loggingSteps()).isEqualTo(500);
        assertThat(c.evalStrategy()).isEqualTo("no");
        assertThat(c.saveStrategy()).isEqualTo("steps");
        assertThat(c.saveSteps()).isEqualTo(500);
        assertThat(c.seed()).isEqualTo(42);
        assertThat(c.optim()).isEqualTo("adamw_torch");
        assertThat(c.shuffle()).isTrue();
        assertThat(c.metricForBestModel()).isEqualTo("loss");
        assertThat(c.greaterIsBetter()).isFalse();
        assertThat(c.resolved().get("learning_rate").asDouble()).isEqualTo(5e-5);
        assertThat(c.resolved().get("logging_strategy").asText()).isEqualTo("steps");
        assertThat(c.resolved().get("eval_on_start").asBoolean()).isFalse();
        assertThat(c.resolved().get("eval_steps").asInt()).isEqualTo(500);
        assertThat(c.resolved().get("monitor").isNull()).isTrue();
    }

    @Test
    void oneErrorListsEveryProblem() {
        ObjectNode n = minimal().put("learning_rate", "fast").put("colour", "blue").put("lr_scheduler_type", "reduce_lr_on_plateau")
                .put("warmup_ratio", 2).put("optim", "sgd");
        n.put("evaluation_strategy", "steps");
        assertThatThrownBy(() -> TrainingConfigParser.parse(n, "run.json")).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("unknown key colour; ")
                .hasMessageContaining("\"learning_rate\" must be a number")
                .hasMessageContaining("\"lr_scheduler_type\" must be one of")
                .hasMessageContaining("\"warmup_ratio\" must be in [0.0, 1.0] (got 2.0)")
                .hasMessageContaining("\"optim\" must be one of")
                .hasMessageEndingWith("(run.json)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> TrainingConfigParser.parse(JSON.createObjectNode(), "x.json"))
                .hasMessage("missing \"model_name_or_path\"; missing \"output_dir\"; missing \"train_file\" (x.json)");
    }

    @Test
    void notebookArgumentsPasteIn() {
        ObjectNode n = minimal().put("max_seq_length", 512).put("optim", "paged_adamw_32bit").put("eval_accumulation_steps", 4)
                .put("save_only_model", true).put("dataset_text_field", "text").put("packing", false).put("neftune_noise_alpha", 0);
        n.putObject("gradient_checkpointing_kwargs").put("use_reentrant", false);
        TrainingConfig c = TrainingConfigParser.parse(n, "run.json");
        assertThat(c.maxLength()).isEqualTo(512);
        assertThat(c.optim()).isEqualTo("paged_adamw_32bit");
        assertThat(c.effectiveDataSeed()).as("data order follows seed without data_seed").isEqualTo(42);
        TrainingConfig seeded = TrainingConfigParser.parse(minimal().put("seed", 3).put("data_seed", 7).put("auto_find_batch_size", true), "r.json");
        assertThat(seeded.seed()).isEqualTo(3);
        assertThat(seeded.effectiveDataSeed()).isEqualTo(7);
        assertThat(seeded.resolved().get("data_seed").asLong()).isEqualTo(7);
        assertThatThrownBy(() -> TrainingConfigParser.parse(minimal().put("max_seq_length", 512).put("max_length", 256)
                .put("packing", true).put("label_smoothing_factor", 0.1), "run.json"))
                .hasMessageContaining("give \"max_length\" or its old name \"max_seq_length\", not both")
                .hasMessageContaining("\"packing\": true is not supported here")
                .hasMessageContaining("\"label_smoothing_factor\" is not supported here (only 0 or null)");
    }

    @Test
    void intervalsBelowOneAreSharesOfTheRun() {
        TrainingConfig c = TrainingConfigParser.parse(minimal().put("logging_steps", 0.1).put("eval_strategy", "steps")
                .put("save_steps", 0.25), "run.json");
        assertThat(c.evalSteps()).as("eval_steps defaults to logging_steps").isEqualTo(0.1);
        assertThat(TrainingConfig.steps(c.loggingSteps(), 95)).isEqualTo(10);    // HF: ceil(95 · 0.1)
        assertThat(TrainingConfig.steps(c.saveSteps(), 95)).isEqualTo(24);
        assertThat(TrainingConfig.steps(c.saveSteps(), 2)).isEqualTo(1);
        assertThat(TrainingConfig.steps(7, 95)).isEqualTo(7);
        assertThat(c.resolved().get("logging_steps").asDouble()).isEqualTo(0.1);
        assertThat(TrainingConfigParser.parse(minimal(), "run.json").resolved().get("logging_steps").isIntegralNumber()).isTrue();

        assertThatThrownBy(() -> TrainingConfigParser.parse(minimal().put("logging_steps", 2.5).put("save_steps", 0), "run.json"))
                .hasMessageContaining("\"logging_steps\" must be a whole number of steps when it is 1 or more (got 2.5)")
                .hasMessageContaining("\"save_steps\" must be a positive number of steps, or a share of the run's steps below 1");
        ObjectNode mixed = minimal().put("eval_strategy", "steps").put("eval_steps", 0.1).put("save_steps", 100)
                .put("load_best_model_at_end", true);
        assertThatThrownBy(() -> TrainingConfigParser.parse(mixed, "run.json"))
                .hasMessageContaining("must both be step counts or both be ratios");
        ObjectNode ratios = minimal().put("eval_strategy", "steps").put("eval_steps", 0.1).put("save_steps", 0.2)
                .put("load_best_model_at_end", true);
        assertThat(TrainingConfigParser.parse(ratios, "run.json").saveSteps()).isEqualTo(0.2);
    }

    @Test
    void bestModelNeedsMatchingStrategies() {
        ObjectNode n = minimal().put("load_best_model_at_end", true);
        assertThatThrownBy(() -> TrainingConfigParser.parse(n, "r")).hasMessageContaining("needs evaluation");
        n.put("eval_strategy", "steps").put("eval_steps", 100).put("save_steps", 150);
        assertThatThrownBy(() -> TrainingConfigParser.parse(n, "r")).hasMessageContaining("multiple of \"eval_steps\"");
        n.put("save_steps", 200).put("metric_for_best_model", "eval_accuracy");
        TrainingConfig c = TrainingConfigParser.parse(n, "r");
        assertThat(c.metricForBestModel()).isEqualTo("accuracy");
        assertThat(c.greaterIsBetter()).isTrue();
    }

    @Test
    void setOverridesTakeJsonValuesAndDottedKeys(@TempDir Path dir) throws IOException {
        ObjectNode n = minimal();
        n.putObject("lora").put("r", 8);
        Path f = Files.writeString(dir.resolve("run.json"), n.toString());
        TrainingConfig c = TrainingConfigParser.load(f, List.of("learning_rate=2e-4", "lora.r=16", "lora.target_modules=[\"q_proj\",\"v_proj\"]",
                "output_dir=out dir", "resume_from_checkpoint=true"));
        assertThat(c.learningRate()).isEqualTo(2e-4);
        assertThat(c.lora().get("r").asInt()).isEqualTo(16);
        assertThat(c.lora().get("target_modules").size()).isEqualTo(2);
        assertThat(c.outputDir()).isEqualTo("out dir");
        assertThat(c.resumeFromCheckpoint()).isEqualTo("latest");
        assertThatThrownBy(() -> TrainingConfigParser.load(f, List.of("novalue"))).hasMessage("expected key=value (--set novalue)");
    }
}
