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
    void demoFineTunesTheBundledModelAndReportsJsonOnTheLastLine(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("demo");
        Cli.Run r = Cli.run("demo", "--steps", "12", "--output-dir", dir.toString(), "--json");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.lastLine());
        assertThat(json.get("output_dir").asText()).isEqualTo(dir.toString());
        double before = json.get("eval_perplexity_before").asDouble(), after = json.get("eval_perplexity_after").asDouble();
        assertThat(after).as("perplexity falls").isLessThan(before * 0.8);
        assertThat(r.err()).contains("eval perplexity before training").contains("question:").contains("fine-tuned:");

        for (String f : new String[]{"adapter_config.json", "adapter_model.safetensors", "trainer_state.json", "training_metrics.json",
                "training_config.json", "loss.png", "best_model_info.json", "best_model/adapter_model.safetensors", "demo_config.json",
                "base_model/model.safetensors", "data/socratic_train.jsonl", "data/socratic_eval.jsonl"})
            assertThat(dir.resolve(f)).as(f).isRegularFile();
        // eval and save every 2 steps; the two newest checkpoints are kept, and the best wherever it is
        assertThat(dir.resolve("checkpoint-12/optimizer.safetensors")).isRegularFile();
        assertThat(dir.resolve("checkpoint-10")).isDirectory();
        try (var checkpoints = Files.list(dir)) {
            assertThat(checkpoints.filter(p -> p.getFileName().toString().startsWith("checkpoint-")).count()).isBetween(2L, 3L);
        }
        try (var events = Files.list(dir.resolve("runs"))) {
            assertThat(events.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).count()).isEqualTo(1);
        }
        JsonNode state = new ObjectMapper().readTree(dir.resolve("trainer_state.json").toFile());
        assertThat(state.get("global_step").asInt()).isEqualTo(12);

        // a second run replaces the first one's folder
        Cli.Run again = Cli.run("demo", "--steps", "2", "--output-dir", dir.toString(), "--json");
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(dir.resolve("checkpoint-12")).doesNotExist();
    }

    @Test
    void demoRefusesAFolderItDidNotWrite(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Cli.Run r = Cli.run("demo", "--steps", "2", "--output-dir", dir.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("error: the folder is not empty and was not written by the demo").doesNotContain("\n");
        assertThat(dir.resolve("notes.txt")).hasContent("mine");
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
    void trainTakesItsConfigAsTheOnePositionalArgumentOrAsConfig(@TempDir Path tmp) throws Exception {
        Path llama = Path.of("..", "fixtures", "hf", "llama").toAbsolutePath();
        Path config = Files.writeString(tmp.resolve("run.json"), """
                {"model_name_or_path": "%s", "train_file": "%s", "output_dir": "%s",
                 "max_steps": 1, "per_device_train_batch_size": 2, "lora": {"r": 4}, "report_to": "none"}
                """.formatted(llama.resolve("model"), llama.resolve("train.jsonl"), tmp.resolve("out")));
        Cli.Run positional = Cli.run("train", config.toString(), "--json");
        assertThat(positional.status()).as(positional.err()).isZero();
        assertThat(new ObjectMapper().readTree(positional.lastLine()).get("global_step").asInt()).isEqualTo(1);
        Cli.Run option = Cli.run("train", "--config", config.toString(), "--set", "output_dir=" + tmp.resolve("out2"), "--json");
        assertThat(option.status()).as(option.err()).isZero();
        assertThat(tmp.resolve("out2/adapter_model.safetensors")).isRegularFile();

        assertThat(Cli.run("train", "a.json", "b.json").err().strip())
                .isEqualTo("error: train takes at most 1 positional argument (got a.json, b.json)");
        assertThat(Cli.run("train", "--config", "a.json", "b.json").err().strip())
                .isEqualTo("error: train takes one config file: train FILE.json or train --config FILE.json (got a.json, b.json)");
        assertThat(Cli.run("train").err().strip()).isEqualTo("error: missing the config file: train FILE.json or train --config FILE.json");
        Path aFile = Files.writeString(tmp.resolve("a-file"), "x");
        assertThat(Cli.run("train", config.toString(), "--set", "output_dir=" + aFile).err().strip())
                .isEqualTo("error: " + aFile + " is a file, not a folder (output_dir)");
        Cli.Run stray = Cli.run("demo", "now");
        assertThat(stray.status()).isEqualTo(2);
        assertThat(stray.err().strip()).isEqualTo("error: demo takes no positional arguments (got now)");
    }

    @Test
    void helpListsCommands() {
        Cli.Run r = Cli.run("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("demo");
    }
}
