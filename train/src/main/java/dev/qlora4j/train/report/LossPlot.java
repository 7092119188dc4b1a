package dev.qlora4j.train.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code loss.png}: training loss (a line over every logged step) and evaluation loss (sparser,
 * drawn with markers) against the global step, rendered off-screen with XChart.
 */
public final class LossPlot {
    public static final int WIDTH = 1000, HEIGHT = 600;

    /** One logged loss. */
    public record Point(long step, double loss) {}

    static {
        // rendering must never try to reach a display (CI, servers, ssh sessions)
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private LossPlot() {}

    /** Writes the plot as a WIDTH×HEIGHT PNG, replacing {@code png} atomically. */
    public static void write(Path png, List<Point> train, List<Point> eval) throws IOException {
        BufferedImage image = render(train, eval, WIDTH, HEIGHT);
        AtomicFiles.write(png, out -> {
            if (!ImageIO.write(image, "png", out)) throw new IOException("no PNG encoder in this JVM");
        });
    }

    /** Non-finite losses (a diverged step) are left out: they would stretch the axis to infinity. */
    public static BufferedImage render(List<Point> train, List<Point> eval, int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height)
                .title("Loss").xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setAntiAlias(true);
        addSeries(chart, "train loss", train, false);
        addSeries(chart, "eval loss", eval, true);
        if (chart.getSeriesMap().isEmpty()) {
            // XChart cannot draw axes without data; an empty run still gets a (blank) plot
            chart.getStyler().setXAxisTicksVisible(false);
            chart.getStyler().setYAxisTicksVisible(false);
            XYSeries none = chart.addSeries("no losses logged yet", new double[] {0}, new double[] {0});
            none.setMarker(SeriesMarkers.NONE);
            none.setLineStyle(SeriesLines.NONE);
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    private static void addSeries(XYChart chart, String name, List<Point> points, boolean markers) {
        double[] x = new double[points.size()], y = new double[points.size()];
        int n = 0;
        for (Point p : points) {
            if (!Double.isFinite(p.loss())) continue;
            x[n] = p.step();
            y[n] = p.loss();
            n++;
        }
        if (n == 0) return;
        XYSeries series = chart.addSeries(name, java.util.Arrays.copyOf(x, n), java.util.Arrays.copyOf(y, n));
        series.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
}
