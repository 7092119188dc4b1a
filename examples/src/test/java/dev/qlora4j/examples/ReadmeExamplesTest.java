package dev.qlora4j.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * README.md shows the examples verbatim. The rule: every {@code ```java} block is preceded (blank
 * lines aside) by a line naming its file, {@code examples/java/….java}, and holds exactly that
 * file's text; every file under examples/java is shown once.
 */
class ReadmeExamplesTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern EXAMPLE_PATH = Pattern.compile("examples/java/[\\w/]+\\.java");

    /** A {@code ```java} block of README: the file it names, the line its code starts on, its code. */
    record Block(String file, int line, List<String> code) {}

    static List<Block> javaBlocks() throws IOException {
        List<String> lines = Files.readAllLines(README);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```java")) continue;
            int before = i - 1;
            while (before >= 0 && lines.get(before).isBlank()) before--;
            Matcher m = EXAMPLE_PATH.matcher(before >= 0 ? lines.get(before) : "");
            if (!m.find())
                fail("README.md line %d: a ```java block must follow a line naming its example file (examples/java/….java)", i + 1);
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).strip().equals("```")) end++;
            if (end == lines.size()) fail("README.md line %d: the ```java block is not closed", i + 1);
            blocks.add(new Block(m.group().substring("examples/".length()), i + 2, lines.subList(i + 1, end)));
            i = end;
        }
        return blocks;
    }

    @Test
    void everyJavaBlockIsItsExampleFileVerbatim() throws IOException {
        List<Block> blocks = javaBlocks();
        assertThat(blocks).as("```java blocks in README.md").isNotEmpty();
        for (Block b : blocks) {
            Path file = Path.of(b.file());
            assertThat(file).as("README.md line %d names %s", b.line() - 1, "examples/" + b.file()).isRegularFile();
            List<String> source = Files.readAllLines(file);
            for (int k = 0; k < Math.max(source.size(), b.code().size()); k++) {
                String shown = k < b.code().size() ? b.code().get(k) : "(block ends)", actual = k < source.size() ? source.get(k) : "(file ends)";
                if (!shown.equals(actual))
                    fail("README.md line %d differs from examples/%s line %d:%n  README:  %s%n  example: %s%n"
                            + "README shows each example verbatim: copy the file into the block.", b.line() + k, b.file(), k + 1, shown, actual);
            }
        }
    }

    @Test
    void everyExampleFileIsShownOnce() throws IOException {
        List<String> shown = javaBlocks().stream().map(Block::file).sorted().toList();
        try (Stream<Path> files = Files.walk(ExamplesTest.SOURCES)) {
            List<String> sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted().toList();
            assertThat(shown).as("the example files README.md shows, one ```java block each").isEqualTo(sources);
        }
    }
}
