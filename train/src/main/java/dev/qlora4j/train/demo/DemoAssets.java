package dev.qlora4j.train.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What train.jar carries for the demo, unpacked into its output folder: the small pretrained
 * base model ({@code base_model/}) and the Socratic dialogue set ({@code data/}).
 */
final class DemoAssets {
    static final List<String> MODEL_FILES = List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "README.md");
    static final String TRAIN_FILE = "socratic_train.jsonl", EVAL_FILE = "socratic_eval.jsonl";

    /** Where the unpacked files are. */
    record Unpacked(Path modelDir, Path trainFile, Path evalFile) {}

    private DemoAssets() {}

    static Unpacked unpack(Path outputDir) throws IOException {
        Path model = outputDir.resolve("base_model"), data = outputDir.resolve("data");
        for (String f : MODEL_FILES) copy("/demo/model/" + f, model.resolve(f));
        for (String f : List.of(TRAIN_FILE, EVAL_FILE)) copy("/demo/data/" + f, data.resolve(f));
        return new Unpacked(model, data.resolve(TRAIN_FILE), data.resolve(EVAL_FILE));
    }

    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = DemoAssets.class.getResourceAsStream(resource)) {
            // a missing resource is a broken build, not a user error
            if (in == null) throw new UncheckedIOException(new IOException("train.jar lacks the demo resource " + resource));
            Files.createDirectories(target.getParent());
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
