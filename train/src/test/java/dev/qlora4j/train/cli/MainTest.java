package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    @Test
    void demoTrainsAndReportsJsonOnTheLastLine(@TempDir Path dir) throws Exception {
        Cli.Run r = Cli.run("demo", "--steps", "30", "--output-dir", dir.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.lastLine());
        assertThat(json.get("output_dir").asText()).isEqualTo(dir.toString());
        double before = json.get("eval_perplexity_before").asDouble(), after = json.get("eval_perplexity_after").asDouble();
        assertThat(after).as("perplexity falls").isLessThan(before * 0.6);
        assertThat(r.err()).contains("step  30/30");
        assertThat(Files.readAllLines(dir.resolve("demo_log.csv"))).hasSize(31).first().isEqualTo("step,loss,learning_rate");
    }

    @Test
    void userErrorsExitWithStatus2AndOneLine() {
        Cli.Run unknown = Cli.run("no-such-command");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err().strip()).startsWith("error: unknown command 'no-such-command'").doesNotContain("\n");

        Cli.Run badValue = Cli.run("demo", "--steps", "many");
        assertThat(badValue.status()).isEqualTo(2);
        assertThat(badValue.err().strip()).isEqualTo("error: option --steps wants an integer, got 'many'");

        Cli.Run badOption = Cli.run("demo", "--frobnicate");
        assertThat(badOption.status()).isEqualTo(2);
        assertThat(badOption.err().strip()).isEqualTo("error: unknown option --frobnicate");
    }

    @Test
    void helpListsCommands() {
        Cli.Run r = Cli.run("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("demo");
    }
}
