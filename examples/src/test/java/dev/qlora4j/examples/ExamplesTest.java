package dev.qlora4j.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Runs every example program's main (in this JVM, which has the flags they need) and checks what it printed. */
class ExamplesTest {
    /** The example programs under examples/java; each has a test below. */
    static final List<Class<?>> EXAMPLES = List.of(LoraAndQlora.class, TensorEngine.class);
    static final Path SOURCES = Path.of("java");
    private static final Path TINY_LLAMA = Path.of("..", "fixtures", "hf", "llama", "model");

    @Test
    void loraAndQloraTrainsSavesAndReloadsOnTheNf4Model(@TempDir Path tmp) throws Exception {
        Path adapter = tmp.resolve("adapter");
        List<String> out = run(LoraAndQlora.class, TINY_LLAMA.toString(), adapter.toString());
        assertThat(out).hasSize(13);
        double[] loss = new double[10];
        for (int step = 1; step <= 10; step++)
            loss[step - 1] = number(out.get(step - 1), "step " + step + ": loss (\\S+)");
        assertThat(loss[9]).as("loss after 10 steps").isLessThan(loss[0]);
        assertThat(out.get(10)).isEqualTo("adapter saved to " + adapter);
        assertThat(adapter.resolve("adapter_config.json")).isRegularFile();
        assertThat(adapter.resolve("adapter_model.safetensors")).isRegularFile();
        double nf4 = number(out.get(11), "NF4 base: loss (\\S+)"), nf4Adapted = number(out.get(12), "NF4 base \\+ adapter: loss (\\S+)");
        // step 1 is the float base model (lora_B starts at zero); NF4 changes its loss only a little
        assertThat(nf4).isCloseTo(loss[0], within(0.05));
        assertThat(nf4Adapted).as("the trained adapter on the NF4 base").isLessThan(nf4);
    }

    @Test
    void tensorEngineComputesAGradientThatLowersTheLoss() throws Exception {
        List<String> out = run(TensorEngine.class);
        assertThat(out).hasSize(2);
        double before = number(out.get(0), "loss (\\S+), w\\.grad\\(\\) \\[64, 32\\]");
        double after = number(out.get(1), "after one gradient step: loss (\\S+)");
        assertThat(after).isLessThan(before);
    }

    @Test
    void everyExampleSourceIsRunHere() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            List<String> sources = files.filter(p -> p.toString().endsWith(".java")).map(p -> SOURCES.relativize(p).toString()).sorted().toList();
            List<String> run = EXAMPLES.stream().map(c -> c.getName().replace('.', '/') + ".java").sorted().toList();
            assertThat(sources).as("example sources under examples/java; add a test for each new one").isEqualTo(run);
        }
    }

    /** The lines {@code example}'s main printed. */
    private static List<String> run(Class<?> example, String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream before = System.out;
        try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            example.getMethod("main", String[].class).invoke(null, (Object) args);
        } finally {
            System.setOut(before);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        before.print(text);
        return new ArrayList<>(text.lines().toList());
    }

    /** The number of the one group of {@code regex}, which the whole line must match. */
    private static double number(String line, String regex) {
        Matcher m = Pattern.compile(regex).matcher(line);
        assertThat(m.matches()).as("line %s matches %s", line, regex).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
