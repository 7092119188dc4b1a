package dev.qlora4j.tensor.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code model.safetensors.index.json}: {@code weight_map} (tensor name → shard file name in the same
 * folder) and the optional {@code metadata} object, whose scalar values are kept as text
 * ({@code total_size} → "258944"); nested values there carry nothing a loader needs and are skipped.
 */
record ShardIndex(Map<String, String> weightMap, Map<String, String> metadata) {

    static ShardIndex read(Path indexFile) {
        byte[] bytes;
        try {
            if (Files.size(indexFile) > SafetensorsFile.MAX_HEADER_BYTES)
                throw SafetensorsException.in(indexFile, "index file is larger than " + SafetensorsFile.MAX_HEADER_BYTES + " bytes");
            bytes = Files.readAllBytes(indexFile);
        } catch (NoSuchFileException e) {
            throw SafetensorsException.in(indexFile, "file not found");
        } catch (AccessDeniedException e) {
            throw SafetensorsException.in(indexFile, "permission denied");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + indexFile, e);
        }
        try (JsonParser p = Json.parser(bytes)) {
            return parse(indexFile, p);
        } catch (CharacterCodingException e) {
            throw SafetensorsException.in(indexFile, "index is not valid UTF-8");
        } catch (JsonProcessingException e) {
            throw SafetensorsException.in(indexFile, "malformed index JSON: " + Json.describe(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ShardIndex parse(Path file, JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) throw SafetensorsException.in(file, "index is not a JSON object");
        Map<String, String> weightMap = null;
        Map<String, String> metadata = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            switch (key) {
                case "weight_map" -> weightMap = readWeightMap(file, p);
                case "metadata" -> readMetadata(file, p, metadata);
                default -> p.skipChildren();
            }
        }
        if (p.nextToken() != null) throw SafetensorsException.in(file, "unexpected content after the index JSON object");
        if (weightMap == null) throw SafetensorsException.in(file, "index has no weight_map");
        return new ShardIndex(Collections.unmodifiableMap(weightMap), Collections.unmodifiableMap(metadata));
    }

    private static Map<String, String> readWeightMap(Path file, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw SafetensorsException.in(file, "weight_map is not a JSON object");
        Map<String, String> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String tensor = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING)
                throw SafetensorsException.inTensor(file, tensor, "weight_map value is not a file name string");
            String shard = p.getText();
            if (!isPlainFileName(shard))
                throw SafetensorsException.inTensor(file, tensor, "shard " + SafetensorsException.quoted(shard)
                        + " is not a file name in the index's folder");
            map.put(tensor, shard);
        }
        return map;
    }

    private static void readMetadata(Path file, JsonParser p, Map<String, String> into) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw SafetensorsException.in(file, "index metadata is not a JSON object");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            if (v.isScalarValue() && v != JsonToken.VALUE_NULL) into.put(key, p.getText());
            else p.skipChildren();
        }
    }

    /** Shards live next to the index: no folders, no "..", nothing absolute. */
    private static boolean isPlainFileName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0)
            return false;
        try {
            Path p = Path.of(name);
            return !p.isAbsolute() && p.getNameCount() == 1;
        } catch (InvalidPathException e) {
            return false;
        }
    }
}
