package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.train.config.TrainingConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What a training config's {@code lora} block becomes. */
class TrainingSetupTest {
    private static final Path LLAMA = Path.of("..", "fixtures", "hf", "llama");

    @Test
    void anEmptyLoraBlockGetsPeftsDefaults(@TempDir Path tmp) throws IOException {
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("model_name_or_path", LLAMA.resolve("model").toString());
        json.put("output_dir", tmp.resolve("out").toString());
        json.put("train_file", LLAMA.resolve("train.jsonl").toString());
        json.putObject("lora");
        try (var setup = new AutoCloseableSetup(TrainingSetup.create(TrainingConfigParser.parse(json, "test"), null))) {
            LoraConfig c = setup.s.lora.config();
            assertThat(c.r()).isEqualTo(8);
            assertThat(c.loraAlpha()).isEqualTo(8);
            assertThat(c.loraDropout()).isZero();
            assertThat(c.targetModules()).containsExactly("q_proj", "v_proj");
            assertThat(setup.s.lora.adapters().keySet()).allMatch(name -> name.endsWith("q_proj") || name.endsWith("v_proj"))
                    .hasSize(2 * setup.s.model.config().numHiddenLayers());
            setup.s.lora.save(tmp.resolve("adapter"));
        }
        var saved = new ObjectMapper().readTree(Files.readString(tmp.resolve("adapter/adapter_config.json")));
        assertThat(saved.get("target_modules")).hasSize(2);
        assertThat(saved.get("r").asInt()).isEqualTo(8);
    }

    @Test
    void addEosTokenReachesTheTrainingExamples(@TempDir Path tmp) throws IOException {
        Path rows = Files.writeString(tmp.resolve("rows.jsonl"), "{\"text\": \"What is justice?\"}\n");
        var tokenizer = dev.qlora4j.model.tokenizer.Tokenizer.load(LLAMA.resolve("model"));
        for (boolean addEos : new boolean[] {true, false}) {
            ObjectNode json = new ObjectMapper().createObjectNode();
            json.put("model_name_or_path", LLAMA.resolve("model").toString());
            json.put("output_dir", tmp.resolve("out").toString());
            json.put("train_file", rows.toString());
            json.put("add_eos_token", addEos);
            json.putObject("lora");
            try (var setup = new AutoCloseableSetup(TrainingSetup.create(TrainingConfigParser.parse(json, "test"), null))) {
                String text = "What is justice?" + (addEos ? "<|eot_id|>" : "");   // the fixture's eos_token
                assertThat(setup.s.data.train().getFirst().inputIds()).as("add_eos_token " + addEos)
                        .containsExactly(tokenizer.encode(text, true).ids());
            }
        }
    }

    @Test
    void chatTemplateKwargsReachTheTrainingExamples(@TempDir Path tmp) throws IOException {
        Path model = Files.createDirectories(tmp.resolve("model"));
        try (var files = Files.list(LLAMA.resolve("model"))) {
            for (Path f : files.toList()) Files.copy(f, model.resolve(f.getFileName()));
        }
        Files.writeString(model.resolve("chat_template.jinja"),
                "{{ greeting }}{% for m in messages %} {{ m['role'] }}: {{ m['content'] }}{% endfor %}");
        Path rows = Files.writeString(tmp.resolve("rows.jsonl"),
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}\n");
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("model_name_or_path", model.toString());
        json.put("output_dir", tmp.resolve("out").toString());
        json.put("train_file", rows.toString());
        json.putObject("chat_template_kwargs").put("greeting", "Salut");
        json.putObject("lora");
        var tokenizer = dev.qlora4j.model.tokenizer.Tokenizer.load(model);
        try (var setup = new AutoCloseableSetup(TrainingSetup.create(TrainingConfigParser.parse(json, "test"), null))) {
            assertThat(setup.s.data.train().getFirst().inputIds())
                    .containsExactly(tokenizer.encode("Salut user: Hi assistant: Hello", false).ids());
        }
    }

    private record AutoCloseableSetup(TrainingSetup s) implements AutoCloseable {
        @Override
        public void close() {
            s.model.close();
        }
    }
}
