package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each kind of broken file gives one SafetensorsException naming the file (and tensor). */
class SafetensorsHostileInputTest {
    @TempDir
    Path dir;

    private static final String A = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    /** The message SafetensorsFile.open(file) fails with. */
    private String failure(Path file) {
        Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(() -> SafetensorsFile.open(file).close())
                .isInstanceOf(SafetensorsException.class)
                .satisfies(e -> thrown[0] = e);
        assertThat(thrown[0].getMessage()).doesNotContain("\n").doesNotContain("\r");
        return thrown[0].getMessage();
    }

    private String failure(String header, int dataBytes) {
        return failure(Craft.file(dir, header, dataBytes));
    }

    private String inFile() {
        return " (" + dir.resolve("t.safetensors") + ")";
    }

    private String inTensor(String name) {
        return " (" + dir.resolve("t.safetensors") + ", tensor \"" + name + "\")";
    }

    @Test
    void validBaselineOpens() {
        try (SafetensorsFile f = SafetensorsFile.open(Craft.file(dir, "{\"a\":" + A + "}", 8))) {
            assertThat(f.names()).containsExactly("a");
        }
    }

    @Test
    void fileShorterThanTheLengthField() {
        for (int size : new int[]{0, 1, 7}) {
            Path f = Craft.file(dir, "t.safetensors", new byte[size]);
            assertThat(failure(f)).isEqualTo("file of " + size + " bytes is shorter than the 8-byte header length" + inFile());
        }
    }

    @Test
    void headerLengthLargerThanTheFile() {
        Path f = Craft.file(dir, "t.safetensors", Craft.bytes(100, "{}".getBytes(StandardCharsets.UTF_8), 10));
        assertThat(failure(f)).isEqualTo("header length 100 is larger than the 12 bytes after the length field" + inFile());
    }

    @Test
    void headerLengthAboveTheCapIsRefusedBeforeReading() {
        Path f = Craft.file(dir, "t.safetensors", Craft.bytes(100_000_001, new byte[0], 0));
        assertThat(failure(f)).isEqualTo("header length 100000001 is above the cap of 100000000 bytes" + inFile());
        Path g = Craft.file(dir, "t.safetensors", Craft.bytes(-1, new byte[0], 0));
        assertThat(failure(g)).isEqualTo("header length 18446744073709551615 is above the cap of 100000000 bytes" + inFile());
    }

    @ParameterizedTest
    @CsvSource({
            "7b 22 61 ff 22 3a 7b 7d 7d", // stray 0xff
            "7b 22 c0 af 22 3a 7b 7d 7d", // overlong '/'
            "7b 22 ed a0 80 22 3a 7b 7d 7d", // UTF-8 encoded surrogate
            "7b 22 e2 82 22 3a 7b 7d 7d", // truncated sequence
    })
    void invalidUtf8(String hex) {
        byte[] header = HexFormat.ofDelimiter(" ").parseHex(hex);
        Path f = Craft.file(dir, "t.safetensors", Craft.bytes(header, 0));
        assertThat(failure(f)).isEqualTo("header is not valid UTF-8" + inFile());
    }

    @Test
    void malformedJson() {
        assertThat(failure("{\"a\":", 0)).startsWith("malformed header JSON: ").endsWith(inFile());
        assertThat(failure("{'a':1}", 0)).startsWith("malformed header JSON: ").endsWith(inFile());
        assertThat(failure("{\"a\":" + A + ",}", 8)).startsWith("malformed header JSON: ").endsWith(inFile());
        assertThat(failure("{} x", 0)).startsWith("malformed header JSON: ").endsWith(inFile());
        assertThat(failure("{}\0\0\0\0", 0)).startsWith("malformed header JSON: ").endsWith(inFile());
        assertThat(failure("{\"a\":{\"x\":" + "[".repeat(200) + "]".repeat(200) + "}}", 0))
                .startsWith("malformed header JSON: ").contains("nesting depth").endsWith(inFile());
        assertThat(failure("", 0)).isEqualTo("header is not a JSON object" + inFile());
        assertThat(failure("{} {}", 0)).isEqualTo("unexpected content after the header JSON object" + inFile());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"[]", "\"x\"", "1", "null"})
    void headerNotAnObject(String header) {
        assertThat(failure(header, 0)).isEqualTo("header is not a JSON object" + inFile());
    }

    @Test
    void duplicateKeys() {
        assertThat(failure("{\"a\":" + A + ",\"a\":" + A + "}", 8))
                .startsWith("malformed header JSON: duplicate key \"a\" at character 57").endsWith(inFile());
        assertThat(failure("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8))
                .startsWith("malformed header JSON: duplicate key \"dtype\" at character ").endsWith(inFile());
        assertThat(failure("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0))
                .startsWith("malformed header JSON: duplicate key \"k\" at character ").endsWith(inFile());
        assertThat(failure("{\"__metadata__\":{},\"__metadata__\":{}}", 0))
                .startsWith("malformed header JSON: duplicate key \"__metadata__\" at character ").endsWith(inFile());
    }

    @Test
    void metadataMustMapStringsToStrings() {
        assertThat(failure("{\"__metadata__\":{\"k\":1}}", 0))
                .isEqualTo("__metadata__ value of key \"k\" is not a string" + inFile());
        assertThat(failure("{\"__metadata__\":{\"k\":null}}", 0))
                .isEqualTo("__metadata__ value of key \"k\" is not a string" + inFile());
        assertThat(failure("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0))
                .isEqualTo("__metadata__ value of key \"k\" is not a string" + inFile());
        assertThat(failure("{\"__metadata__\":[\"k\"]}", 0)).isEqualTo("__metadata__ is not a JSON object" + inFile());
        assertThat(failure("{\"__metadata__\":\"k\"}", 0)).isEqualTo("__metadata__ is not a JSON object" + inFile());
    }

    @Test
    void metadataNullMeansNone() {
        try (SafetensorsFile f = SafetensorsFile.open(Craft.file(dir, "{\"__metadata__\":null}", 0))) {
            assertThat(f.hasMetadata()).isFalse();
            assertThat(f.names()).isEmpty();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[1]                                                  | tensor entry is not a JSON object",
            "\"F32\"                                              | tensor entry is not a JSON object",
            "null                                                 | tensor entry is not a JSON object",
            "{\"shape\":[2],\"data_offsets\":[0,8]}               | missing dtype",
            "{\"dtype\":\"F32\",\"data_offsets\":[0,8]}           | missing shape",
            "{\"dtype\":\"F32\",\"shape\":[2]}                    | missing data_offsets",
            "{\"dtype\":5,\"shape\":[2],\"data_offsets\":[0,8]}   | dtype is not a string",
            "{\"dtype\":null,\"shape\":[2],\"data_offsets\":[0,8]} | dtype is not a string",
            "{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]} | unknown dtype \"F33\"",
            "{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]} | unknown dtype \"f32\"",
            "{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}   | shape is not an array",
            "{\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,8]}  | shape is not an array",
            "{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]} | shape entry -2 is negative",
            "{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]} | shape entry 2.0 is not a non-negative integer",
            "{\"dtype\":\"F32\",\"shape\":[1e2],\"data_offsets\":[0,8]} | shape entry 1e2 is not a non-negative integer",
            "{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]} | shape entry 2 is not a non-negative integer",
            "{\"dtype\":\"F32\",\"shape\":[[2]],\"data_offsets\":[0,8]} | shape entry [...] is not a non-negative integer",
            "{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]} | shape entry null is not a non-negative integer",
            "{\"dtype\":\"F32\",\"shape\":[3000000000],\"data_offsets\":[0,8]} | shape dimension 3000000000 is larger than 2147483647",
            "{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]} | shape entry 99999999999999999999 is too large",
            "{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]} | byte size of shape [2147483647, 2147483647, 2147483647] overflows",
            "{\"dtype\":\"U8\",\"shape\":[2147483647,2147483647,4],\"data_offsets\":[0,8]} | byte size of shape [2147483647, 2147483647, 4] overflows",
            "{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]} | F4 shape [3] does not fill whole bytes",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":8}    | data_offsets is not an array",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}  | data_offsets has 1 entries instead of two",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[]}   | data_offsets has 0 entries instead of two",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]} | data_offsets has more than two entries",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]} | data_offsets entry -8 is negative",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]} | data_offsets entry 8.5 is not a non-negative integer",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551616]} | data_offsets entry 18446744073709551616 is too large",
            "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]} | data_offsets begin 8 is after end 0",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]} | data_offsets span 4 bytes but F32 [2] needs 8",
            "{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,8]} | data_offsets span 8 bytes but F32 [] needs 4",
            "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]} | data_offsets [0, 16) reach past the data section of 8 bytes",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9223372036854775799,9223372036854775807]} | data_offsets [9223372036854775799, 9223372036854775807) reach past the data section of 8 bytes",
    })
    void badTensorEntry(String entry, String what) {
        assertThat(failure("{\"a\":" + entry.strip() + "}", 8)).isEqualTo(what.strip() + inTensor("a"));
    }

    @Test
    void shapeRankIsCapped() {
        String dims = "1,".repeat(HeaderParser.MAX_RANK) + "1";
        assertThat(failure("{\"a\":{\"dtype\":\"U8\",\"shape\":[" + dims + "],\"data_offsets\":[0,1]}}", 8))
                .isEqualTo("shape has more than 64 dimensions" + inTensor("a"));
        String ok = "1,".repeat(HeaderParser.MAX_RANK - 1) + "1";
        try (SafetensorsFile f = SafetensorsFile.open(Craft.file(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[" + ok + "],\"data_offsets\":[0,1]}}", 8))) {
            assertThat(f.info("a").rank()).isEqualTo(64);
        }
    }

    @Test
    void overlappingTensors() {
        String b = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}";
        assertThat(failure("{\"a\":" + A + ",\"b\":" + b + "}", 16))
                .isEqualTo("data_offsets [4, 12) overlap tensor \"a\" at [0, 8)" + inTensor("b"));
        // the same range twice (two names for one buffer) is an overlap too
        assertThat(failure("{\"b\":" + A + ",\"a\":" + A + "}", 16)).contains("overlap tensor");
    }

    @Test
    void emptyTensorsMayShareOffsetsAndGapsAreAccepted() {
        String e1 = "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}";
        String c = "{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[10,12]}";
        try (SafetensorsFile f = SafetensorsFile.open(Craft.file(dir, "{\"a\":" + A + ",\"e\":" + e1 + ",\"c\":" + c + "}", 16))) {
            assertThat(f.names()).containsExactly("a", "e", "c");
            assertThat(f.tensor("e").numel()).isZero();
            assertThat(f.tensor("c").toLongArray()).containsExactly(0, 0);
        }
    }

    @Test
    void unknownFieldsInAnEntryAreIgnored() {
        String entry = "{\"dtype\":\"F32\",\"extra\":{\"x\":[1,{}]},\"shape\":[2],\"data_offsets\":[0,8]}";
        try (SafetensorsFile f = SafetensorsFile.open(Craft.file(dir, "{\"a\":" + entry + "}", 8))) {
            assertThat(f.info("a").shape()).containsExactly(2);
        }
    }

    @Test
    void unsupportedDtypeOpensButCannotBeViewed() {
        String entry = "{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}";
        try (SafetensorsFile f = SafetensorsFile.open(Craft.file(dir, "{\"a\":" + entry + "}", 8))) {
            assertThat(f.info("a").supported()).isFalse();
            assertThat(f.info("a").dtype()).isNull();
            assertThatThrownBy(() -> f.tensor("a")).isInstanceOf(SafetensorsException.class)
                    .hasMessage("dtype F8_E4M3 is not supported by the engine" + inTensor("a"));
            assertThatThrownBy(() -> f.tensor("b")).isInstanceOf(SafetensorsException.class)
                    .hasMessage("no such tensor in the file" + inTensor("b"));
        }
    }

    @Test
    void namesInMessagesStayOnOneLine() {
        String entry = "{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}";
        assertThat(failure("{\"a\\nb\\u2028" + "x".repeat(500) + "\":" + entry + "}", 8))
                .startsWith("unknown dtype \"F33\" (" + dir.resolve("t.safetensors") + ", tensor \"a\\u000ab\\u2028xxx")
                .endsWith("...\")")
                .hasSizeLessThan(400);
    }

    @Test
    void missingFileAndFolder() {
        Path missing = dir.resolve("nope.safetensors");
        assertThatThrownBy(() -> SafetensorsFile.open(missing)).isInstanceOf(SafetensorsException.class)
                .hasMessage("file not found (" + missing + ")");
        assertThatThrownBy(() -> SafetensorsFile.open(dir)).isInstanceOf(SafetensorsException.class)
                .hasMessage("is a folder, not a safetensors file (" + dir + ")");
    }

    @Test
    void exceptionIsABadInputException() {
        assertThat(new SafetensorsException("x")).isInstanceOf(BadInputException.class);
    }
}
