package dev.qlora4j.train.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingMetricsTest {
    @TempDir
    Path dir;

    private static final TrainingMetrics METRICS = new TrainingMetrics(8.123456, 25, 100, 51200, 1.2345678901234567, 2.0,
            Map.of("eval_loss", 1.5, "eval_perplexity", Math.exp(1.5)));

    @Test
    void writesWhatHuggingFacesSaveMetricsWrites() throws IOException {
        Path file = dir.resolve("training_metrics.json");
        METRICS.write(file);
        // Python: json.dumps({speed_metrics-style dict}, indent=4, sort_keys=True) for these numbers
        assertThat(Files.readString(file)).isEqualTo("""
                {
                    "epoch": 2.0,
                    "eval_loss": 1.5,
                    "eval_perplexity": 4.4816890703380645,
                    "train_loss": 1.2345678901234567,
                    "train_runtime": 8.1235,
                    "train_samples_per_second": 12.31,
                    "train_steps_per_second": 3.078,
                    "train_tokens_per_second": 6302.736
                }""");
        assertThat(new ObjectMapper().readValue(file.toFile(), Map.class).keySet())
                .containsExactlyInAnyOrder("epoch", "eval_loss", "eval_perplexity", "train_loss", "train_runtime",
                        "train_samples_per_second", "train_steps_per_second", "train_tokens_per_second");
    }

    @Test
    void roundsAsPythonsRoundDoes() {
        // round(1.0005, 3) == 1.0 and round(2.675, 2) == 2.67: the binary values lie below the tie
        assertThat(TrainingMetrics.round(1.0005, 3)).isEqualTo(1.0);
        assertThat(TrainingMetrics.round(0.0005, 3)).isEqualTo(0.001);
        assertThat(TrainingMetrics.round(2.675, 2)).isEqualTo(2.67);
        assertThat(TrainingMetrics.round(8.123456, 4)).isEqualTo(8.1235);
        assertThat(TrainingMetrics.round(Double.NaN, 3)).isNaN();
    }

    @Test
    void aZeroRuntimeHasNoRatesAndUncountedTokensNoTokenRate() {
        assertThat(new TrainingMetrics(0, 10, 10, 10, 1, 1, Map.of()).toMap())
                .containsOnlyKeys("train_runtime", "train_loss", "epoch");
        assertThat(new TrainingMetrics(2, 10, 10, -1, 1, 1, Map.of()).toMap())
                .containsOnlyKeys("train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss", "epoch");
    }
}
