package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.train.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's key table and {@code train --help-config} come from the declarations, and the README is not stale. */
class ConfigDocsTest {
    private static final Path README = Path.of("..", "README.md");

    private static List<Key<?>> allKeys() {
        List<Key<?>> all = new ArrayList<>(ConfigKeys.TOP.keys());
        for (Block b : ConfigKeys.BLOCKS) all.addAll(b.keys());
        return all;
    }

    @Test
    void readmeKeyTableIsTheGeneratedOne() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        assertThat(readme).contains(ConfigDocs.START).contains(ConfigDocs.END);
        assertThat(readme)
                .as("README.md's key table is stale: java -cp train/target/train.jar dev.qlora4j.train.config.ConfigDocs README.md")
                .isEqualTo(ConfigDocs.withTable(readme, "README.md"));
    }

    @Test
    void theTableHasARowForEveryKeyOfEveryBlock() {
        String md = ConfigDocs.markdown();
        for (Key<?> k : allKeys()) {
            if (k.inert() && k.block() == ConfigKeys.TOP) assertThat(md).contains("`" + k.name() + "`");
            else assertThat(md).containsPattern("(?m)^\\|( [a-z]* \\|)? `" + java.util.regex.Pattern.quote(k.name()) + "`");
        }
        for (Block b : ConfigKeys.BLOCKS) assertThat(md).contains("\n`" + b.name() + "` block: " + b.help() + ".\n");
        assertThat(md).contains("| `eval_strategy` (old name `evaluation_strategy`) | \"no\" | one of no, steps, epoch |");
        assertThat(md).contains("| `r` | 8 | integer ≥ 1 | the adapters' rank |");
    }

    @Test
    void helpConfigPrintsEveryKeyWithItsDefaultAndHelp() throws IOException {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int status = Main.run(new String[]{"train", "--help-config"}, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).isEqualTo(ConfigDocs.text());
        assertThat(text).contains("\n  learning_rate = 0.00005   (number ≥ 0)\n      the peak learning rate\n");
        for (Key<?> k : allKeys()) if (!k.inert()) assertThat(text).contains("\n  " + k.name() + " ");

        var json = new ByteArrayOutputStream();
        status = Main.run(new String[]{"train", "--help-config", "--json"}, new ByteArrayInputStream(new byte[0]),
                new PrintStream(json, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isZero();
        String[] lines = json.toString(StandardCharsets.UTF_8).strip().split("\n");
        JsonNode keys = new ObjectMapper().readTree(lines[lines.length - 1]).get("keys");
        assertThat(keys.size()).isEqualTo(allKeys().size());
        JsonNode alpha = null;
        for (JsonNode k : keys) if (k.get("key").asText().equals("lora.lora_alpha")) alpha = k;
        assertThat(alpha).isNotNull();
        assertThat(alpha.get("default").asText()).isEqualTo("8");
        assertThat(alpha.get("section").asText()).isEqualTo("lora");
    }
}
