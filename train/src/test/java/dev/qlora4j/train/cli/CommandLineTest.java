package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line itself (picocli's parsing as docs/CLI.md fixes it): usage, version, errors, `--`, option values. */
class CommandLineTest {
    private static final String LLAMA = Path.of("..", "fixtures", "hf", "llama", "model").toAbsolutePath().toString();
    private static final String COMMANDS = "chat, demo, eval, generate, inspect, merge, predict, quantize, tokenize, train";

    /** Each command's options as docs/CLI.md and the README name them, all of which its --help lists. */
    private static final Map<String, List<String>> OPTIONS = Map.of(
            "chat", List.of("--model=DIR", "--adapter=DIR", "--device=cpu|cuda", "--max-new-tokens=N", "--temperature=T", "--top-k=K",
                    "--top-p=P", "--seed=S", "--tools=FILE", "--template-var=KEY=VALUE"),
            "demo", List.of("--steps=N", "--output-dir=DIR", "--seed=S"),
            "eval", List.of("--model=DIR", "--data=FILE", "--data-format=FORMAT", "--batch-size=N", "--max-length=N", "--adapter=DIR",
                    "--device=cpu|cuda"),
            "generate", List.of("--model=DIR", "--prompt=T", "--prompt-ids=1,2,3", "--chat", "--max-new-tokens=N", "--temperature=T",
                    "--top-k=K", "--top-p=P", "--seed=S", "--adapter=DIR", "--device=cpu|cuda", "--tools=FILE", "--template-var=KEY=VALUE"),
            "inspect", List.of("PATH"),
            "merge", List.of("--model=DIR", "--adapter=DIR", "--out=DIR"),
            "predict", List.of("--model=DIR", "--data=FILE", "--data-format=FORMAT", "--out=FILE", "--batch-size=N", "--max-length=N",
                    "--adapter=DIR", "--device=cpu|cuda"),
            "quantize", List.of("--model=DIR", "--out=DIR", "--double-quant", "--blocksize=N"),
            "tokenize", List.of("--model=DIR", "--text=T", "--input=FILE", "--chat=FILE", "--no-special-tokens", "--add-generation-prompt",
                    "--continue-final-message", "--tools=FILE", "--template-var=KEY=VALUE"),
            "train", List.of("FILE.json", "--config=FILE.json", "--set=KEY=VALUE", "--help-config"));

    @ParameterizedTest
    @ValueSource(strings = {"chat", "demo", "eval", "generate", "inspect", "merge", "predict", "quantize", "tokenize", "train"})
    void everyCommandPrintsItsUsageAndOptionsOnStdout(String command) {
        Cli.Run r = Cli.run(command, "--help");
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("Usage: train.jar " + command + " ");
        // each option (and argument) on a line of its own, with its description beside it or, for a long name, under it
        for (String option : OPTIONS.get(command)) assertDescribed(r.out(), option.startsWith("-") ? option : "[" + option + "]");
        for (String common : List.of("--json", "--debug", "-h, --help")) assertDescribed(r.out(), common);

        assertThat(Cli.run(command, "-h").out()).isEqualTo(r.out());
        assertThat(Cli.run("help", command).out()).isEqualTo(r.out());
        // --help wins over missing required options and other options
        assertThat(Cli.run(command, "--json", "--help").status()).isZero();
    }

    @Test
    void topLevelUsageListsTheCommands() {
        for (String[] argv : new String[][]{{}, {"--help"}, {"-h"}, {"help"}}) {
            Cli.Run r = Cli.run(argv);
            assertThat(r.status()).as(String.join(" ", argv)).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).startsWith("Usage: train.jar <command> [options]").contains("--version").contains("`--` ends the options");
            for (String command : COMMANDS.split(", ")) assertThat(r.out()).containsPattern("\n  " + command + " +\\S");
        }
    }

    @Test
    void versionIsTheProjectVersion() throws IOException {
        String pom = Files.readString(Path.of("..", "pom.xml"));
        Matcher m = Pattern.compile("<artifactId>qlora4j-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(m.find()).isTrue();
        for (String flag : new String[]{"--version", "-V"}) {
            Cli.Run r = Cli.run(flag);
            assertThat(r.status()).isZero();
            assertThat(r.out().strip()).isEqualTo("qlora4j " + m.group(1));
        }
    }

    @Test
    void unknownCommandsAndOptionsAreOneLineWithStatus2() {
        assertError(Cli.run("frobnicate"), "error: unknown command 'frobnicate' (commands: " + COMMANDS + ")");
        assertError(Cli.run("--json"), "error: unknown command '--json' (commands: " + COMMANDS + ")");
        assertError(Cli.run("help", "frobnicate"), "error: unknown command 'frobnicate' (commands: " + COMMANDS + ")");
        assertError(Cli.run("demo", "--frobnicate"), "error: unknown option --frobnicate");
        assertError(Cli.run("demo", "--frobnicate=3"), "error: unknown option --frobnicate");
        assertError(Cli.run("eval", "--model", LLAMA, "--data", "x.jsonl", "-x"), "error: unknown option -x");
        // options belong to their command: --version is train.jar's, --steps demo's
        assertError(Cli.run("demo", "--version"), "error: unknown option --version");
        assertError(Cli.run("eval", "--steps", "3"), "error: unknown option --steps");
    }

    @Test
    void badOptionValuesAreOneLineWithStatus2() {
        assertError(Cli.run("demo", "--steps"), "error: option --steps needs a value");
        assertError(Cli.run("demo", "--steps", "many"), "error: option --steps wants an integer, got 'many'");
        assertError(Cli.run("demo", "--steps=0x10"), "error: option --steps wants an integer, got '0x10'");
        assertError(Cli.run("eval", "--model", LLAMA, "--data", "x.jsonl", "--batch-size", "x"),
                "error: option --batch-size wants an integer, got 'x'");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt", "x", "--seed", "1.5"), "error: option --seed wants an integer, got '1.5'");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt", "x", "--temperature", "NaN"),
                "error: option --temperature wants a number, got 'NaN'");
        assertError(Cli.run("generate", "--model", LLAMA, "--prompt", "x", "--top-p=Infinity"),
                "error: option --top-p wants a number, got 'Infinity'");
        assertError(Cli.run("demo", "--json=yes"), "error: option --json takes no value (--json=yes)");
        assertError(Cli.run("quantize", "--model", LLAMA, "--out", "o", "--double-quant=true"),
                "error: option --double-quant takes no value (--double-quant=true)");
        assertError(Cli.run("eval"), "error: missing required options --model, --data");
        assertError(Cli.run("eval", "--model", LLAMA), "error: missing required option --data");
        assertError(Cli.run("tokenize", "--text", "hi"), "error: missing required option --model");
    }

    @Test
    void doubleDashEndsTheOptions(@TempDir Path tmp) {
        // what follows `--` is positional, even when it looks like an option
        assertError(Cli.run("demo", "--", "--steps", "3"), "error: demo takes no positional arguments (got --steps, 3)");
        assertError(Cli.run("inspect", "--", "--no-such-file"), "error: no such file or folder (--no-such-file)");
        Cli.Run json = Cli.run("tokenize", "--model", LLAMA, "--text", "hi", "--", "--json");
        assertError(json, "error: tokenize takes no positional arguments (got --json)");
        assertThat(json.out()).isEmpty();
        // options before `--` still count, and `--` may come last
        Cli.Run inspect = Cli.run("inspect", "--json", "--", LLAMA);
        assertThat(inspect.status()).as(inspect.err()).isZero();
        assertThat(inspect.lastLine()).startsWith("{\"tensors\":");
        assertThat(Cli.run("inspect", LLAMA, "--json", "--").status()).isZero();
        assertError(Cli.run("train", "a.json", "--", "b.json"), "error: train takes at most 1 positional argument (got a.json, b.json)");
    }

    @Test
    void jsonAndDebugAreOptionsOnlyWhereAnOptionCanStand() throws IOException {
        // the value of --text, however it looks, is the text
        Cli.Run text = Cli.run("tokenize", "--model", LLAMA, "--text", "--json");
        assertThat(text.status()).as(text.err()).isZero();
        assertThat(text.out()).contains("decoded: <|begin_of_text|>--json");
        assertThat(text.err()).isEmpty();

        Cli.Run both = Cli.run("tokenize", "--model", LLAMA, "--text", "--json", "--json");
        assertThat(both.status()).as(both.err()).isZero();
        assertThat(both.json().get("decoded").asText()).isEqualTo("<|begin_of_text|>--json");
        assertThat(both.err()).contains("decoded: <|begin_of_text|>--json");

        Cli.Run attached = Cli.run("tokenize", "--model", LLAMA, "--text=--debug", "--json");
        assertThat(attached.json().get("decoded").asText()).isEqualTo("<|begin_of_text|>--debug");

        // an option's value may be another option's name: --model's here is "--text", so no text is given
        assertError(Cli.run("tokenize", "--model", "--text"), "error: tokenize needs exactly one of --text, --input, --chat");
    }

    @Test
    void optionsTakeTheirValueEitherWayAndTheLastOneCounts() throws IOException {
        JsonNode spaced = Cli.run("tokenize", "--model", LLAMA, "--text", "a", "--text", "hello", "--json").json();
        JsonNode attached = Cli.run("tokenize", "--model=" + LLAMA, "--text=hello", "--json").json();
        assertThat(attached).isEqualTo(spaced);
        assertThat(spaced.get("decoded").asText()).isEqualTo("<|begin_of_text|>hello");
        // an argument starting with @ is itself, not a file of arguments
        assertThat(Cli.run("tokenize", "--model", LLAMA, "--text", "@notes", "--json").json().get("decoded").asText())
                .isEqualTo("<|begin_of_text|>@notes");
        // negative numbers are values, not options
        assertError(Cli.run("demo", "--steps", "-1"), "error: --steps must be at least 1 (got -1)");
    }

    private static void assertDescribed(String usage, String option) {
        assertThat(usage).as(option).containsPattern("(?m)^ +" + Pattern.quote(option) + "( {2,}\\S|\n {10,}\\S)");
    }

    /** Exit status 2, nothing on stdout, and exactly {@code expected} (one line) on stderr. */
    private static void assertError(Cli.Run r, String expected) {
        assertThat(r.status()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip()).isEqualTo(expected);
    }
}
