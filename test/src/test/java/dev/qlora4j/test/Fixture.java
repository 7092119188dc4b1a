package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** One reference fixture folder (fixtures/hf/NAME): its model, reference.json and expected outputs. */
record Fixture(String name, Path dir, JsonNode reference) {
    static final Path ROOT = Path.of("..", "fixtures", "hf");

    /** Every fixture with a model and a reference.json, whatever their names. */
    static List<Fixture> all() {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("reference.json")) && Files.isDirectory(d.resolve("model")))
                    .sorted().map(Fixture::of).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Fixture of(Path dir) {
        try {
            return new Fixture(dir.getFileName().toString(), dir, new ObjectMapper().readTree(dir.resolve("reference.json").toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path model() {
        return dir.resolve("model");
    }

    /** The model's task, from its config.json's architecture (no weights read). */
    Task task() {
        return ModelConfig.load(model()).task();
    }

    /** A [rows, cols] integer matrix of reference.json as an I32 tensor. */
    Tensor ints(String key) {
        JsonNode rows = reference.get(key);
        int b = rows.size(), t = rows.get(0).size();
        int[] v = new int[b * t];
        for (int r = 0; r < b; r++)
            for (int c = 0; c < t; c++) v[r * t + c] = rows.get(r).get(c).asInt();
        return Tensor.ofInts(v, b, t);
    }

    /** A flat integer list of reference.json. */
    int[] intList(JsonNode list) {
        int[] v = new int[list.size()];
        for (int i = 0; i < v.length; i++) v[i] = list.get(i).asInt();
        return v;
    }

    @Override
    public String toString() {
        return name;
    }
}
