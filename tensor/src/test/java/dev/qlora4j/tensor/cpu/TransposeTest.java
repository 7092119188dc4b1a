package dev.qlora4j.tensor.cpu;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TransposeTest {
    @Test
    void transposesA16By16TileIntoAStridedDestination() {
        float[] tile = new float[256];
        for (int i = 0; i < 256; i++) tile[i] = i * 1.5f - 7;
        int ldd = 40, d = 3;
        float[] dst = new float[d + 16 * ldd];
        java.util.Arrays.fill(dst, Float.NaN);
        Transpose.transpose16(tile, dst, d, ldd);
        for (int q = 0; q < 16; q++)
            for (int j = 0; j < ldd; j++) {
                float got = dst[d + q * ldd + j];
                if (j < 16) assertThat(got).as("q=%d j=%d", q, j).isEqualTo(tile[j * 16 + q]);
                else assertThat(got).as("outside the tile").isNaN();
            }
    }
}
