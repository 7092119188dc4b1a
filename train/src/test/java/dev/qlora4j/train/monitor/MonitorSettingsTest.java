package dev.qlora4j.train.monitor;

import org.junit.jupiter.api.Test;

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
    }

    @Test
    void inconsistentThresholdsAreRejected() {
        assertThatThrownBy(() -> new MonitorSettings(true, 5, 10, 0.5, 0.2, 0.1, 0.7, 5, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("min_gap must not exceed max_gap");
        assertThatThrownBy(() -> new MonitorSettings(true, 0, 10, 0.1, 0.3, 0.1, 0.7, 5, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("windows must be at least 1");
    }
}
