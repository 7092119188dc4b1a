package dev.qlora4j.train.report;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressDisplayTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainModePrintsOneLinePerLoggingStep() {
        try (ProgressDisplay display = ProgressDisplay.create(out, ProgressDisplay.Mode.PLAIN)) {
            display.start(0, 200);
            for (long step = 1; step <= 20; step++) display.step(step);
            display.log(new TrainProgress(20, 0.4, 2.34564, 1.234, 2e-4, 1234.56, Duration.ofSeconds(83)));
            display.message("eval step 20 | eval_loss 2.5000");
        }
        // 83 s for 20 steps: 180 steps left take 747 s
        assertThat(output()).isEqualTo("""
                step 20/200 | epoch 0.40 | loss 2.3456 | grad_norm 1.2340 | lr 2.000e-04 | tokens/s 1234.6 | elapsed 0:01:23 | eta 0:12:27
                eval step 20 | eval_loss 2.5000
                """);
    }

    @Test
    void theEtaCountsOnlyStepsRunInThisProcess() {
        PlainProgress display = new PlainProgress(out);
        display.start(1000, 1200);
        // resumed at 1000: 50 steps in 100 s, 150 left
        assertThat(display.line(new TrainProgress(1050, 5.25, 0.5, Double.NaN, 0, 10, Duration.ofSeconds(100))))
                .isEqualTo("step 1050/1200 | epoch 5.25 | loss 0.5000 | grad_norm NaN | lr 0.000e+00 | tokens/s 10.0 | elapsed 0:01:40 | eta 0:05:00");
        assertThat(display.line(new TrainProgress(1000, 5, 0.5, 1, 1e-5, 0, Duration.ZERO))).endsWith("| eta ?");
        assertThat(display.line(new TrainProgress(1200, 6, 0.5, 1, 1e-5, 0, Duration.ofHours(30)))).endsWith("| elapsed 30:00:00 | eta 0:00:00");
    }

    // repeated: whether the library's first scheduled refresh runs before close() is a race
    @RepeatedTest(30)
    void barModeDrawsStepsAndTheLastLoggedValuesAndKeepsMessagesOnTheirOwnLine() {
        ProgressDisplay display = new BarProgress(out, 120);
        display.start(0, 10);
        for (long step = 1; step <= 4; step++) display.step(step);
        display.log(new TrainProgress(5, 0.5, 2.34564, 1.0, 2e-4, 1234.4, Duration.ofSeconds(5)));
        display.message("memory: heap 1 MiB / 2 MiB");
        display.close();
        String text = output();
        assertThat(text).contains("train").contains("5/10").contains("loss 2.3456 lr 2.00e-04 tok/s 1234");
        assertThat(text).contains("\r\u001b[2Kmemory: heap 1 MiB / 2 MiB" + System.lineSeparator());
        assertThat(text).endsWith(System.lineSeparator());
    }

    @Test
    void forcedModesPickTheirDisplay() {
        assertThat(ProgressDisplay.create(out, ProgressDisplay.Mode.PLAIN)).isInstanceOf(PlainProgress.class);
        assertThat(ProgressDisplay.create(out, ProgressDisplay.Mode.BAR)).isInstanceOf(BarProgress.class);
        assertThat(ProgressDisplay.create(out, ProgressDisplay.Mode.AUTO))
                .isInstanceOf(ProgressDisplay.isTerminal() ? BarProgress.class : PlainProgress.class);
    }

    @Test
    void metricsLinesKeepTheMapsOrder() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval_loss", 1.23456);
        m.put("eval_perplexity", 3.437);
        assertThat(ProgressDisplay.metricsLine("eval", 100, m)).isEqualTo("eval step 100 | eval_loss 1.2346 | eval_perplexity 3.4370");
        assertThat(ProgressDisplay.metricsLine("eval", 7, Map.of())).isEqualTo("eval step 7");
    }
}
