package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class LrScheduleTest {
    @Test
    void cosineWithWarmupGivesTheFixtureRunsRatesExactly() throws IOException {
        for (String fixture : new String[]{"llama", "gemma2"}) {
            JsonNode run = new ObjectMapper().readTree(Path.of("..", "fixtures", "hf", fixture, "training_run.json").toFile());
            JsonNode cfg = run.get("config");
            double base = cfg.get("learning_rate").asDouble();
            long warmup = cfg.get("warmup_steps").asLong(), total = cfg.get("total_steps").asLong();
            for (JsonNode h : run.get("history")) {
                long step = h.get("step").asLong();
                // the rate an optimizer step applies is lambda(step − 1): HF steps the scheduler after the optimizer
                assertThat(base * LrSchedule.COSINE.factor(step - 1, warmup, total)).as(fixture + " step " + step)
                        .isEqualTo(h.get("lr").asDouble());
            }
        }
    }

    @Test
    void theOtherSchedulesFollowTransformers() {
        assertThat(LrSchedule.LINEAR.factor(0, 2, 10)).isZero();
        assertThat(LrSchedule.LINEAR.factor(1, 2, 10)).isEqualTo(0.5);
        assertThat(LrSchedule.LINEAR.factor(2, 2, 10)).isEqualTo(1.0);
        assertThat(LrSchedule.LINEAR.factor(6, 2, 10)).isEqualTo(0.5);
        assertThat(LrSchedule.LINEAR.factor(10, 2, 10)).isZero();
        assertThat(LrSchedule.CONSTANT.factor(0, 5, 10)).isEqualTo(1.0);
        assertThat(LrSchedule.CONSTANT_WITH_WARMUP.factor(1, 4, 10)).isEqualTo(0.25);
        assertThat(LrSchedule.CONSTANT_WITH_WARMUP.factor(9, 4, 10)).isEqualTo(1.0);
        assertThat(LrSchedule.COSINE.factor(5, 0, 10)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(LrSchedule.of("cosine")).isEqualTo(LrSchedule.COSINE);
        assertThat(LrSchedule.of("polynomial")).isEqualTo(LrSchedule.POLYNOMIAL);
        assertThat(LrSchedule.of("reduce_lr_on_plateau")).isNull();
    }

    private static final org.assertj.core.data.Offset<Double> EXACT = org.assertj.core.data.Offset.offset(1e-12);

    @Test
    void schedulesWithKwargsFollowTransformersFormulas() {
        // values worked out by hand from transformers/optimization.py's lambdas
        var twoCycles = new LrSchedule.Args(2.0, null, null, null, null);
        assertThat(LrSchedule.COSINE_WITH_RESTARTS.factor(2, 0, 10, twoCycles, 1)).isCloseTo(0.5 * (1 + Math.cos(Math.PI * 0.4)), EXACT);
        assertThat(LrSchedule.COSINE_WITH_RESTARTS.factor(5, 0, 10, twoCycles, 1)).isCloseTo(1.0, EXACT);   // the restart
        assertThat(LrSchedule.COSINE_WITH_RESTARTS.factor(10, 0, 10, twoCycles, 1)).isZero();
        assertThat(LrSchedule.COSINE_WITH_RESTARTS.factor(3, 0, 6, LrSchedule.Args.DEFAULTS, 1)).isCloseTo(0.5, EXACT);   // one cycle

        var poly = new LrSchedule.Args(null, 2.0, 1e-5, null, null);
        assertThat(LrSchedule.POLYNOMIAL.factor(1, 2, 10, poly, 1e-3)).isEqualTo(0.5);                // warmup
        assertThat(LrSchedule.POLYNOMIAL.factor(6, 2, 10, poly, 1e-3)).isCloseTo((0.99e-3 * 0.25 + 1e-5) / 1e-3, EXACT);
        assertThat(LrSchedule.POLYNOMIAL.factor(10, 2, 10, poly, 1e-3)).isCloseTo(0.01, EXACT);
        assertThat(LrSchedule.POLYNOMIAL.factor(11, 2, 10, poly, 1e-3)).isCloseTo(0.01, EXACT);

        assertThat(LrSchedule.INVERSE_SQRT.factor(4, 4, 100, LrSchedule.Args.DEFAULTS, 1)).isCloseTo(1.0, EXACT);   // timescale = warmup
        assertThat(LrSchedule.INVERSE_SQRT.factor(12, 4, 100, LrSchedule.Args.DEFAULTS, 1)).isCloseTo(1 / Math.sqrt(3), EXACT);
        assertThat(LrSchedule.INVERSE_SQRT.factor(30_000, 0, 100, LrSchedule.Args.DEFAULTS, 1)).isCloseTo(1 / Math.sqrt(4), EXACT);

        var floor = new LrSchedule.Args(null, null, null, null, 0.1);
        assertThat(LrSchedule.COSINE_WITH_MIN_LR.factor(5, 0, 10, floor, 1)).isCloseTo(0.55, EXACT);
        assertThat(LrSchedule.COSINE_WITH_MIN_LR.factor(10, 0, 10, floor, 1)).isCloseTo(0.1, EXACT);
    }

    @Test
    void kwargsAreCheckedPerSchedule() {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.function.Function<String, com.fasterxml.jackson.databind.node.ObjectNode> cfg = extra -> {
            try {
                return (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(
                        "{\"model_name_or_path\": \"m\", \"output_dir\": \"o\", \"train_file\": \"t.jsonl\", \"lora\": {}, " + extra + "}");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        var ok = dev.qlora4j.train.config.TrainingConfigParser.parse(cfg.apply(
                "\"learning_rate\": 2e-4, \"lr_scheduler_type\": \"cosine_with_min_lr\", \"lr_scheduler_kwargs\": {\"min_lr\": 2e-5}"), "r.json");
        assertThat(ok.schedule().kwargs().minLrRate()).isCloseTo(0.1, EXACT);
        assertThat(ok.resolved().get("lr_scheduler_kwargs").get("min_lr").asDouble()).isEqualTo(2e-5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.qlora4j.train.config.TrainingConfigParser.parse(cfg.apply(
                        "\"lr_scheduler_type\": \"linear\", \"lr_scheduler_kwargs\": {\"num_cycles\": 2}"), "r.json"))
                .hasMessageContaining("\"lr_scheduler_kwargs\": linear takes none, not \"num_cycles\"");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.qlora4j.train.config.TrainingConfigParser.parse(cfg.apply(
                        "\"lr_scheduler_type\": \"cosine_with_min_lr\""), "r.json"))
                .hasMessageContaining("cosine_with_min_lr needs min_lr or min_lr_rate");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.qlora4j.train.config.TrainingConfigParser.parse(cfg.apply(
                        "\"lr_scheduler_type\": \"step\""), "r.json"))
                .hasMessageContaining("must be one of linear, cosine, cosine_with_restarts, polynomial, constant, constant_with_warmup, inverse_sqrt, cosine_with_min_lr");
    }
}
