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
        assertThat(LrSchedule.of("polynomial")).isNull();
    }
}
