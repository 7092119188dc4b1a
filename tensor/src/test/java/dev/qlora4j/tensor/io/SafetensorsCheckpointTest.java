package dev.qlora4j.tensor.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Model folders: the 3-shard BF16 fixture, single files, and every way an index can disagree. */
class SafetensorsCheckpointTest {
    static final Path SHARDED = SafetensorsFixturesTest.FIXTURES.resolve("hf/llama31-bf16-sharded/model");
    static final String INDEX = SafetensorsCheckpoint.INDEX_FILE;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shardedFixtureIsOneViewThatMatchesItsIndex() throws IOException {
        JsonNode index = JSON.readTree(SHARDED.resolve(INDEX).toFile());
        Map<String, String> weightMap = new HashMap<>();
        index.get("weight_map").properties().forEach(e -> weightMap.put(e.getKey(), e.getValue().asText()));
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(SHARDED)) {
            assertThat(ck.isSharded()).isTrue();
            assertThat(ck.files()).hasSize(3);
            assertThat(ck.names()).containsExactlyInAnyOrderElementsOf(weightMap.keySet());
            long bytes = 0, params = 0;
            for (String name : ck.names()) {
                assertThat(ck.fileOf(name).path().getFileName().toString()).as(name).isEqualTo(weightMap.get(name));
                TensorInfo info = ck.info(name);
                assertThat(info.dtype()).isEqualTo(DType.BF16);
                bytes += info.byteSize();
                params += info.numel();
                Tensor t = ck.tensor(name);
                assertThat(t.toFloatArray()).isEqualTo(ck.copyOf(name).toFloatArray());
            }
            // transformers writes the totals into the index metadata
            assertThat(ck.metadata().get("total_size")).isEqualTo(Long.toString(bytes));
            assertThat(ck.metadata().get("total_parameters")).isEqualTo(Long.toString(params));
            // each shard holds exactly what the index assigns to it
            for (SafetensorsFile f : ck.files())
                assertThat(f.names()).containsExactlyInAnyOrderElementsOf(weightMap.entrySet().stream()
                        .filter(e -> e.getValue().equals(f.path().getFileName().toString())).map(Map.Entry::getKey).toList());
        }
    }

    @Test
    void indexFileOpensLikeItsFolder() {
        try (SafetensorsCheckpoint byFolder = SafetensorsCheckpoint.open(SHARDED);
             SafetensorsCheckpoint byIndex = SafetensorsCheckpoint.open(SHARDED.resolve(INDEX))) {
            assertThat(byIndex.names()).isEqualTo(byFolder.names());
            assertThat(byIndex.isSharded()).isTrue();
        }
    }

    @Test
    void singleFileFolderAndPlainFile() {
        Path model = SafetensorsFixturesTest.FIXTURES.resolve("hf/llama/model");
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(model);
             SafetensorsCheckpoint file = SafetensorsCheckpoint.open(model.resolve("model.safetensors"))) {
            assertThat(ck.isSharded()).isFalse();
            assertThat(ck.metadata()).containsEntry("format", "pt");
            assertThat(ck.names()).isEqualTo(file.names()).contains("model.embed_tokens.weight");
            assertThatThrownBy(() -> ck.tensor("nope")).isInstanceOf(SafetensorsException.class)
                    .hasMessage("no such tensor in the checkpoint (" + model + ", tensor \"nope\")");
        }
    }

    /** A private copy of the sharded fixture to break. */
    private Path copyOfSharded() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        try (var list = Files.list(SHARDED)) {
            for (Path p : list.toList()) Files.copy(p, model.resolve(p.getFileName()));
        }
        return model;
    }

    private ObjectNode index(Path model) throws IOException {
        return (ObjectNode) JSON.readTree(model.resolve(INDEX).toFile());
    }

    private SafetensorsException failure(Path model) {
        SafetensorsException[] e = new SafetensorsException[1];
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(model).close()).isInstanceOf(SafetensorsException.class)
                .satisfies(t -> e[0] = (SafetensorsException) t);
        return e[0];
    }

    @Test
    void indexNamesAMissingShard() throws IOException {
        Path model = copyOfSharded();
        Files.delete(model.resolve("model-00003-of-00003.safetensors"));
        assertThat(failure(model)).hasMessage("shard file \"model-00003-of-00003.safetensors\" named by the index does not exist ("
                + model.resolve(INDEX) + ")");
    }

    @Test
    void tensorListedInTheIndexIsMissingFromItsShard() throws IOException {
        Path model = copyOfSharded();
        ObjectNode index = index(model);
        // move a tensor's entry to a shard that does not hold it
        ((ObjectNode) index.get("weight_map")).put("model.embed_tokens.weight", "model-00002-of-00003.safetensors");
        JSON.writeValue(model.resolve(INDEX).toFile(), index);
        assertThat(failure(model)).hasMessage("tensor listed in " + INDEX + " is missing from its shard ("
                + model.resolve("model-00002-of-00003.safetensors") + ", tensor \"model.embed_tokens.weight\")");
    }

    @Test
    void sameTensorInTwoShards() throws IOException {
        Path model = copyOfSharded();
        Tensor norm;
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(SHARDED)) {
            norm = ck.copyOf("model.norm.weight");
        }
        SafetensorsWriter.write(model.resolve("model-extra.safetensors"),
                Map.of("model.norm.weight", norm, "extra.weight", Tensor.vector(1)), Map.of("format", "pt"));
        ObjectNode index = index(model);
        ((ObjectNode) index.get("weight_map")).put("extra.weight", "model-extra.safetensors");
        JSON.writeValue(model.resolve(INDEX).toFile(), index);
        String owner = index.get("weight_map").get("model.norm.weight").asText();
        assertThat(failure(model)).hasMessage("tensor is in two shards, " + owner + " and model-extra.safetensors ("
                + model + ", tensor \"model.norm.weight\")");
    }

    @Test
    void folderWithoutSafetensors() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Files.writeString(empty.resolve("config.json"), "{}");
        assertThat(failure(empty)).hasMessage("no model.safetensors or " + INDEX + " in the folder (" + empty + ")");
    }

    @Test
    void malformedIndexes() throws IOException {
        Path model = copyOfSharded();
        Path indexFile = model.resolve(INDEX);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("[]", "index is not a JSON object");
        cases.put("{\"metadata\":{}}", "index has no weight_map");
        cases.put("{\"weight_map\":[]}", "weight_map is not a JSON object");
        cases.put("{\"weight_map\":{}}", "weight_map lists no tensors");
        cases.put("{\"weight_map\":{\"a\":1}}", "weight_map value is not a file name string");
        cases.put("{\"weight_map\":{\"a\":\"../model-00001-of-00003.safetensors\"}}",
                "shard \"../model-00001-of-00003.safetensors\" is not a file name in the index's folder");
        cases.put("{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "shard \"/etc/passwd\" is not a file name in the index's folder");
        cases.put("{\"weight_map\":{\"a\":\"x.safetensors\"},\"metadata\":3}", "index metadata is not a JSON object");
        for (var c : cases.entrySet()) {
            Files.writeString(indexFile, c.getKey());
            String where = c.getValue().startsWith("weight_map value") || c.getValue().startsWith("shard ")
                    ? indexFile + ", tensor \"a\"" : indexFile.toString();
            assertThat(failure(model)).as(c.getKey()).hasMessage(c.getValue() + " (" + where + ")");
        }
        Files.writeString(indexFile, "{\"weight_map\":{\"a\":\"x\",\"a\":\"y\"}}");
        assertThat(failure(model)).hasMessageStartingWith("malformed index JSON: duplicate key \"a\"");
        Files.writeString(indexFile, "{\"weight_map\":");
        assertThat(failure(model)).hasMessageStartingWith("malformed index JSON: ").hasMessageEndingWith("(" + indexFile + ")");
    }

    @Test
    void brokenShardIsReportedAgainstTheShard() throws IOException {
        Path model = copyOfSharded();
        Path shard = model.resolve("model-00002-of-00003.safetensors");
        Files.write(shard, new byte[]{1, 2, 3});
        assertThat(failure(model)).hasMessage("file of 3 bytes is shorter than the 8-byte header length (" + shard + ")");
    }
}
