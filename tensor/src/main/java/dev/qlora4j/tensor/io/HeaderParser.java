package dev.qlora4j.tensor.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates a safetensors header (the JSON after the 8-byte length). Every entry is
 * checked against the data section before anything is mapped: known dtype, integer shape without
 * overflow, byte range consistent with dtype and shape, inside the data section and overlapping no
 * other tensor. The reference reader additionally demands that the tensors tile the data section
 * without gaps; gaps and trailing bytes are harmless for reading, so they are accepted here.
 */
final class HeaderParser {
    /** More dimensions than any model tensor has; keeps a hostile shape from growing huge arrays. */
    static final int MAX_RANK = 64;
    static final String METADATA_KEY = "__metadata__";

    /** The parsed header: tensors in header order, and the {@code __metadata__} block if present. */
    record Header(List<TensorInfo> tensors, Map<String, String> metadata, boolean hasMetadata) {}

    private final Path file;
    private final JsonParser p;
    private final long dataSize;

    private HeaderParser(Path file, JsonParser p, long dataSize) {
        this.file = file;
        this.p = p;
        this.dataSize = dataSize;
    }

    static Header parse(Path file, byte[] json, long dataSize) {
        try (JsonParser p = Json.parser(json)) {
            return new HeaderParser(file, p, dataSize).header();
        } catch (CharacterCodingException e) {
            throw SafetensorsException.in(file, "header is not valid UTF-8");
        } catch (JsonProcessingException e) {
            throw SafetensorsException.in(file, "malformed header JSON: " + Json.describe(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a byte array fails only on decoding, caught above
        }
    }

    private Header header() throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) throw SafetensorsException.in(file, "header is not a JSON object");
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        boolean hasMetadata = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken value = p.nextToken();
            if (key.equals(METADATA_KEY)) {
                // the reference deserialises it as Option<HashMap>: null means no metadata
                hasMetadata = value != JsonToken.VALUE_NULL;
                if (hasMetadata) readMetadata(metadata);
            } else {
                tensors.add(readEntry(key));
            }
        }
        if (p.nextToken() != null) throw SafetensorsException.in(file, "unexpected content after the header JSON object");
        checkOverlaps(tensors);
        return new Header(Collections.unmodifiableList(tensors), Collections.unmodifiableMap(metadata), hasMetadata);
    }

    private void readMetadata(Map<String, String> into) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT)
            throw SafetensorsException.in(file, METADATA_KEY + " is not a JSON object");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING)
                throw SafetensorsException.in(file, METADATA_KEY + " value of key " + SafetensorsException.quoted(key)
                        + " is not a string");
            into.put(key, p.getText());
        }
    }

    private TensorInfo readEntry(String name) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw fail(name, "tensor entry is not a JSON object");
        SafetensorsDtype dtype = null;
        int[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "dtype" -> dtype = readDtype(name);
                case "shape" -> shape = readShape(name);
                case "data_offsets" -> offsets = readOffsets(name);
                default -> p.skipChildren(); // unknown fields are ignored, as serde does
            }
        }
        if (dtype == null) throw fail(name, "missing dtype");
        if (shape == null) throw fail(name, "missing shape");
        if (offsets == null) throw fail(name, "missing data_offsets");
        return checked(new TensorInfo(name, dtype, shape, offsets[0], offsets[1]));
    }

    private SafetensorsDtype readDtype(String name) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) throw fail(name, "dtype is not a string");
        SafetensorsDtype t = SafetensorsDtype.fromName(p.getText());
        if (t == null) throw fail(name, "unknown dtype " + SafetensorsException.quoted(p.getText()));
        return t;
    }

    private int[] readShape(String name) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw fail(name, "shape is not an array");
        int[] dims = new int[4];
        int rank = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            long d = nonNegativeInteger(name, "shape");
            if (d > Integer.MAX_VALUE) throw fail(name, "shape dimension " + d + " is larger than " + Integer.MAX_VALUE);
            if (rank == MAX_RANK) throw fail(name, "shape has more than " + MAX_RANK + " dimensions");
            if (rank == dims.length) dims = Arrays.copyOf(dims, 2 * rank);
            dims[rank++] = (int) d;
        }
        return Arrays.copyOf(dims, rank);
    }

    private long[] readOffsets(String name) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw fail(name, "data_offsets is not an array");
        long[] o = new long[2];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (n == 2) throw fail(name, "data_offsets has more than two entries");
            o[n++] = nonNegativeInteger(name, "data_offsets");
        }
        if (n != 2) throw fail(name, "data_offsets has " + n + " entries instead of two");
        return o;
    }

    /** The current token as a non-negative integer that fits a long. */
    private long nonNegativeInteger(String name, String field) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) throw fail(name, "header ends inside " + field); // Jackson normally reports this itself
        if (t != JsonToken.VALUE_NUMBER_INT)
            throw fail(name, field + " entry " + SafetensorsException.printable(describe(t)) + " is not a non-negative integer");
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER)
            throw fail(name, field + " entry " + SafetensorsException.printable(p.getText()) + " is too large");
        long v = p.getLongValue();
        if (v < 0) throw fail(name, field + " entry " + v + " is negative");
        return v;
    }

    private String describe(JsonToken t) throws IOException {
        return switch (t) {
            case START_ARRAY -> "[...]";
            case START_OBJECT -> "{...}";
            default -> p.getText();
        };
    }

    /** Checks one entry against its own dtype and shape and against the data section. */
    private TensorInfo checked(TensorInfo t) {
        long bits;
        try {
            long numel = 1;
            for (int d : t.shape()) numel = Math.multiplyExact(numel, d);
            bits = Math.multiplyExact(numel, t.fileDtype().bits());
        } catch (ArithmeticException e) {
            throw fail(t.name(), "byte size of shape " + Arrays.toString(t.shape()) + " overflows");
        }
        if (bits % 8 != 0)
            throw fail(t.name(), t.fileDtype() + " shape " + Arrays.toString(t.shape()) + " does not fill whole bytes");
        if (t.begin() > t.end())
            throw fail(t.name(), "data_offsets begin " + t.begin() + " is after end " + t.end());
        if (t.byteSize() != bits / 8)
            throw fail(t.name(), "data_offsets span " + t.byteSize() + " bytes but " + t.fileDtype() + " "
                    + Arrays.toString(t.shape()) + " needs " + bits / 8);
        if (t.end() > dataSize)
            throw fail(t.name(), "data_offsets [" + t.begin() + ", " + t.end() + ") reach past the data section of "
                    + dataSize + " bytes");
        return t;
    }

    /** Tensors may not share bytes; empty tensors hold none, so they may sit anywhere. */
    private void checkOverlaps(List<TensorInfo> tensors) {
        List<TensorInfo> byOffset = new ArrayList<>();
        for (TensorInfo t : tensors) if (t.byteSize() > 0) byOffset.add(t);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.begin() < prev.end())
                throw fail(cur.name(), "data_offsets [" + cur.begin() + ", " + cur.end() + ") overlap tensor "
                        + SafetensorsException.quoted(prev.name()) + " at [" + prev.begin() + ", " + prev.end() + ")");
        }
    }

    private SafetensorsException fail(String tensor, String what) {
        return SafetensorsException.inTensor(file, tensor, what);
    }
}
