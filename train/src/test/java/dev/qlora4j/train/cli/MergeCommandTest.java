package dev.qlora4j.train.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class MergeCommandTest {
    private static final Path LLAMA = Path.of("..", "fixtures", "hf", "llama");

    @Test
    void mergesAndReportsTheOutputFolder(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("merged");
        Cli.Run r = Cli.run("merge", "--model", LLAMA.resolve("model").toString(), "--adapter", LLAMA.resolve("adapter_init").toString(),
                "--out", out.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.json().get("out").asText()).isEqualTo(out.toString());
        assertThat(out.resolve("model.safetensors")).exists();
        Cli.Run inspect = Cli.run("inspect", out.toString(), "--json");
        assertThat(inspect.json().get("config").get("model_type").asText()).isEqualTo("llama");
    }

    @Test
    void missingFoldersAreOneLineErrors(@TempDir Path tmp) {
        Cli.Run r = Cli.run("merge", "--model", tmp.resolve("nope").toString(), "--adapter", tmp.toString(), "--out", tmp.resolve("o").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: no such model folder (" + tmp.resolve("nope") + ")");
        Cli.Run noOut = Cli.run("merge", "--model", tmp.toString(), "--adapter", tmp.toString());
        assertThat(noOut.err().strip()).isEqualTo("error: missing required option --out");
    }
}
