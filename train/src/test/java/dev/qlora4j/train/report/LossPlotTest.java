package dev.qlora4j.train.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class LossPlotTest {
    @TempDir
    Path dir;

    @Test
    void writesAPngOfTheExpectedSizeWithBothSeriesDrawn() throws IOException {
        List<LossPlot.Point> train = new ArrayList<>(), eval = new ArrayList<>();
        for (int step = 1; step <= 300; step++) train.add(new LossPlot.Point(step, 3 * Math.exp(-step / 80.0) + 0.1 * Math.sin(step)));
        for (int step = 50; step <= 300; step += 50) eval.add(new LossPlot.Point(step, 3.2 * Math.exp(-step / 90.0)));
        train.add(new LossPlot.Point(301, Double.NaN));
        Path png = dir.resolve("loss.png");
        LossPlot.write(png, train, eval);

        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(LossPlot.WIDTH);
        assertThat(image.getHeight()).isEqualTo(LossPlot.HEIGHT);
        assertThat(distinctColors(image)).as("two series, axes, text").isGreaterThan(4);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(png); // no temporary file left behind
        }
    }

    @Test
    void rewritingReplacesThePlotAndEmptyHistoriesStillRender() throws IOException {
        Path png = dir.resolve("loss.png");
        LossPlot.write(png, List.of(), List.of());
        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(LossPlot.WIDTH);
        LossPlot.write(png, List.of(new LossPlot.Point(1, 2.0)), List.of());
        assertThat(ImageIO.read(png.toFile()).getHeight()).isEqualTo(LossPlot.HEIGHT);
        BufferedImage small = LossPlot.render(List.of(new LossPlot.Point(1, 2.0)), List.of(new LossPlot.Point(1, 2.5)), 320, 200);
        assertThat(small.getWidth()).isEqualTo(320);
        assertThat(small.getHeight()).isEqualTo(200);
    }

    private static long distinctColors(BufferedImage image) {
        java.util.Set<Integer> colors = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) for (int x = 0; x < image.getWidth(); x += 3) colors.add(image.getRGB(x, y));
        return colors.size();
    }
}
