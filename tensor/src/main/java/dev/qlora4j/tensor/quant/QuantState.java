package dev.qlora4j.tensor.quant;

import dev.qlora4j.tensor.io.PyFloat;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The non-tensor part of a bitsandbytes 4-bit quant state, which {@code QuantState.as_dict(packed=True)}
 * stores as the UTF-8 bytes of a JSON object under {@code weight.quant_state.bitsandbytes__nf4}:
 * quant type, block size, the dtype the weight had (and dequantizes to), its shape, and with double
 * quantization the nested block size, dtype and the offset subtracted from the absmax values.
 *
 * @param nested null without double quantization
 */
public record QuantState(String quantType, int blocksize, DType dtype, int[] shape, Nested nested) {
    /** Block sizes bitsandbytes' quantize_4bit and dequantize_4bit accept. */
    public static final List<Integer> BLOCKSIZES = List.of(32, 64, 128, 256, 512, 1024, 2048, 4096);
    /** The block size of the nested (8-bit) quantization of the absmax values. */
    public static final int NESTED_BLOCKSIZE = 256;

    private static final Set<String> KEYS = Set.of("quant_type", "blocksize", "dtype", "shape",
            "nested_blocksize", "nested_dtype", "nested_offset");
    /** Python's json writes NaN and Infinity for such floats; a key given twice is an error. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** @param offset the float32 mean subtracted from every absmax before the 8-bit quantization */
    public record Nested(int blocksize, float offset) {
    }

    public QuantState {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long numel() {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /**
     * The JSON text bitsandbytes writes: Python's {@code json.dumps} of the dict in as_dict's key
     * order, with its default separators and float formatting.
     */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\"quant_type\": \"").append(quantType)
                .append("\", \"blocksize\": ").append(blocksize)
                .append(", \"dtype\": \"").append(torchName(dtype)).append("\", \"shape\": [");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
        sb.append(']');
        if (nested != null)
            sb.append(", \"nested_blocksize\": ").append(nested.blocksize)
                    .append(", \"nested_dtype\": \"float32\", \"nested_offset\": ").append(PyFloat.json(nested.offset));
        return sb.append('}').toString();
    }

    public byte[] toBytes() {
        return toJson().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads the stored JSON as bitsandbytes' {@code QuantState.from_dict} does, checking what it
     * would trip over later; {@code where} names the tensor in errors.
     */
    public static QuantState parse(byte[] utf8, String where) {
        Map<String, Object> o = readObject(utf8, where);
        for (String k : o.keySet())
            if (!KEYS.contains(k)) throw BadInputException.at(where, "unknown quant_state key \"" + k + "\"");
        String type = string(o, "quant_type", where);
        if (type.equals("fp4"))
            throw BadInputException.at(where, "FP4 4-bit weights are not supported, only NF4 (bnb_4bit_quant_type=\"nf4\")");
        if (!type.equals("nf4")) throw BadInputException.at(where, "unknown quant_type \"" + type + "\"");
        int blocksize = integer(o, "blocksize", where);
        if (!BLOCKSIZES.contains(blocksize))
            throw BadInputException.at(where, "blocksize " + blocksize + " is not one of " + BLOCKSIZES);
        String dtypeName = string(o, "dtype", where);
        DType dtype = fromTorchName(dtypeName);
        if (dtype == null)
            throw BadInputException.at(where, "quant_state dtype \"" + dtypeName + "\" is not float32, bfloat16 or float16");
        int[] shape = shape(o, where);
        Nested nested = null;
        if (o.containsKey("nested_blocksize") || o.containsKey("nested_dtype") || o.containsKey("nested_offset")) {
            int nb = integer(o, "nested_blocksize", where);
            if (nb <= 0) throw BadInputException.at(where, "nested_blocksize must be positive, got " + nb);
            String nd = string(o, "nested_dtype", where);
            if (!nd.equals("float32"))
                throw BadInputException.at(where, "nested_dtype \"" + nd + "\" is not supported (only float32)");
            if (!(o.get("nested_offset") instanceof Number off))
                throw BadInputException.at(where, "quant_state needs a numeric \"nested_offset\"");
            // bitsandbytes: torch.tensor(float(offset)), a float32
            nested = new Nested(nb, (float) off.doubleValue());
        }
        return new QuantState(type, blocksize, dtype, shape, nested);
    }

    /** A flat JSON object: strings, numbers (Long or Double), and lists of numbers. */
    private static Map<String, Object> readObject(byte[] utf8, String where) {
        Map<String, Object> out = new LinkedHashMap<>();
        try (JsonParser p = FACTORY.createParser(new String(utf8, StandardCharsets.UTF_8))) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw BadInputException.at(where, "quant_state must be a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_ARRAY) {
                    List<Object> list = new ArrayList<>();
                    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                        if (e.isStructStart()) throw BadInputException.at(where, "quant_state \"" + key + "\" has a nested value");
                        list.add(scalar(p, e));
                    }
                    out.put(key, list);
                } else if (t.isStructStart()) {
                    throw BadInputException.at(where, "quant_state \"" + key + "\" has a nested value");
                } else {
                    out.put(key, scalar(p, t));
                }
            }
            if (p.nextToken() != null) throw BadInputException.at(where, "quant_state has content after its JSON object");
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage().lines().findFirst().orElse("");
            throw BadInputException.at(where, "quant_state is not valid JSON: " + msg);
        } catch (IOException e) {
            throw BadInputException.at(where, "quant_state is not readable: " + e.getMessage());
        }
        return out;
    }

    private static Object scalar(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? (Object) p.getDoubleValue() : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE, VALUE_FALSE -> p.getBooleanValue();
            default -> null;
        };
    }

    private static String string(Map<String, Object> o, String key, String where) {
        if (!(o.get(key) instanceof String s)) throw BadInputException.at(where, "quant_state needs a string \"" + key + "\"");
        return s;
    }

    private static int integer(Map<String, Object> o, String key, String where) {
        if (!(o.get(key) instanceof Long v) || v != v.intValue())
            throw BadInputException.at(where, "quant_state needs an integer \"" + key + "\"");
        return (int) (long) v;
    }

    private static int[] shape(Map<String, Object> o, String where) {
        if (!(o.get("shape") instanceof List<?> v) || v.isEmpty())
            throw BadInputException.at(where, "quant_state needs a non-empty \"shape\" list");
        int[] shape = new int[v.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(v.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE)
                throw BadInputException.at(where, "quant_state shape " + v + " must hold non-negative integers");
            shape[i] = (int) (long) d;
            n *= shape[i];
            if (n > Integer.MAX_VALUE) throw BadInputException.at(where, "quant_state shape " + v + " has too many elements");
        }
        return shape;
    }

    /** torch's name of a float dtype, as {@code str(dtype)} without "torch.". */
    public static String torchName(DType t) {
        return switch (t) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("not a 4-bit source dtype: " + t);
        };
    }

    static DType fromTorchName(String name) {
        return switch (name) {
            case "float32" -> DType.F32;
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> null;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantState q && quantType.equals(q.quantType) && blocksize == q.blocksize && dtype == q.dtype
                && Arrays.equals(shape, q.shape) && java.util.Objects.equals(nested, q.nested);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(quantType, blocksize, dtype, Arrays.hashCode(shape), nested);
    }

    @Override
    public String toString() {
        return toJson();
    }
}
