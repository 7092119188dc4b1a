package dev.qlora4j.train.monitor;

import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MonitorSettingsTest {
    @Test
    void defaultsAreTheReferenceNotebooksThresholds() {
        MonitorSettings d = MonitorSettings.DEFAULTS;
        assertThat(d.enabled()).isTrue();
        assertThat(d.stabilityWindow()).isEqualTo(5);
        assertThat(d.balanceWindow()).isEqualTo(10);
        assertThat(d.minGap()).isEqualTo(0.1);
        assertThat(d.maxGap()).isEqualTo(0.3);
        assertThat(d.maxMeanVariance()).isEqualTo(0.1);
        assertThat(d.minVarianceRatio()).isEqualTo(0.7);
        assertThat(d.maxStableCheckpoints()).isEqualTo(5);
        assertThat(d.minStepsBetweenCheckpoints()).isEqualTo(100);
        assertThat(MonitorSettings.fromMap(Map.of(), "run.json: monitor")).isEqualTo(d);
    }

    @Test
    void readsEveryKey() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", false);
        m.put("stability_window", 3);
        m.put("balance_window", 20);
        m.put("min_gap", 0);
        m.put("max_gap", 0.5);
        m.put("max_mean_variance", 0.05);
        m.put("min_variance_ratio", 0.5);
        m.put("max_stable_checkpoints", 2);
        m.put("min_steps_between_checkpoints", 250L);
        assertThat(MonitorSettings.fromMap(m, "run.json: monitor"))
                .isEqualTo(new MonitorSettings(false, 3, 20, 0.0, 0.5, 0.05, 0.5, 2, 250));
    }

    @Test
    void badKeysAndValuesAreOneLineUserErrors() {
        assertThatThrownBy(() -> MonitorSettings.fromMap(Map.of("window", 5), "run.json: monitor"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("unknown key \"window\"; known: enabled, stability_window,")
                .hasMessageEndingWith(" (run.json: monitor)");
        assertThatThrownBy(() -> MonitorSettings.fromMap(Map.of("stability_window", 2.5), "m"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("\"stability_window\" must be an integer from 1 to 2147483647, got 2.5 (m.stability_window)");
        assertThatThrownBy(() -> MonitorSettings.fromMap(Map.of("min_gap", "0.1"), "m"))
                .isInstanceOf(BadInputException.class)
                .hasMessage("\"min_gap\" must be a finite number, got string \"0.1\" (m.min_gap)");
        assertThatThrownBy(() -> MonitorSettings.fromMap(Map.of("enabled", "yes"), "m"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("must be true or false");
        assertThatThrownBy(() -> MonitorSettings.fromMap(Map.of("min_gap", 0.5, "max_gap", 0.2), "m"))
                .isInstanceOf(BadInputException.class).hasMessage("min_gap must not exceed max_gap (m)");
        assertThatThrownBy(() -> MonitorSettings.fromMap(Map.of("min_steps_between_checkpoints", -1), "m"))
                .isInstanceOf(BadInputException.class).hasMessageContaining("from 0 to");
    }
}
