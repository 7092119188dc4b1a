package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded mutations of valid files: opening one either succeeds (and then every tensor reads
 * within bounds) or throws SafetensorsException; never any other exception or error.
 */
class SafetensorsFuzzTest {
    private static final int MUTATIONS = 3000;
    private static final byte[] JSON_BYTES = "{}[],:\"-0123456789.eE \\ntrufalsF32U8BOOL_".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    static List<byte[]> seeds() throws IOException {
        Random rnd = new Random(7);
        Map<String, Tensor> mixed = new LinkedHashMap<>();
        for (DType t : DType.values()) mixed.put(t.name().toLowerCase() + ".w", SafetensorsRoundTripTest.randomTensor(rnd, t, 2, 3));
        mixed.put("scalar", Tensor.scalar(1));
        mixed.put("empty", Tensor.zeros(DType.BF16, 0, 4));
        return List.of(
                SafetensorsWriter.toBytes(mixed, Map.of("format", "pt", "k", "v")),
                SafetensorsWriter.toBytes(Map.of("a", Tensor.vector(1, 2), "b", Tensor.ofInts(new int[]{3}, 1)), null),
                Files.readAllBytes(SafetensorsFixturesTest.FIXTURES.resolve("hf/llama-seqcls/expected_forward.safetensors")),
                Files.readAllBytes(SafetensorsPythonCompatTest.MIXED));
    }

    @Test
    void mutatedFilesOpenOrFailCleanly() throws IOException {
        List<byte[]> seeds = seeds();
        Random rnd = new Random(20261125L);
        Path file = dir.resolve("fuzz.safetensors");
        int opened = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] seed = seeds.get(rnd.nextInt(seeds.size()));
            byte[] mutated = mutate(rnd, seed);
            Files.write(file, mutated);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (TensorInfo t : f.tensors()) {
                    if (!t.supported()) continue;
                    Tensor view = f.tensor(t.name());
                    if (view.numel() < 1 << 16) view.toFloatArray();
                }
                opened++;
            } catch (SafetensorsException expected) {
                assertThat(expected.getMessage()).doesNotContain("\n").endsWith(")");
            } catch (Throwable unexpected) {
                throw new AssertionError("mutation " + i + " threw " + unexpected + " for "
                        + Arrays.toString(Arrays.copyOf(mutated, Math.min(mutated.length, 300))), unexpected);
            }
        }
        // mutations hit both outcomes: a fuzz test where everything fails to open checks little
        assertThat(opened).isBetween(MUTATIONS / 50, MUTATIONS - MUTATIONS / 50);
    }

    private static byte[] mutate(Random rnd, byte[] seed) {
        byte[] b = seed.clone();
        int headerEnd = (int) Math.min(b.length, 8 + ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        int edits = 1 + rnd.nextInt(3);
        for (int e = 0; e < edits; e++) {
            switch (rnd.nextInt(8)) {
                case 0 -> { // flip one bit in the length field or header
                    int at = rnd.nextInt(headerEnd);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                case 1 -> b[8 + rnd.nextInt(Math.max(1, headerEnd - 8))] = (byte) rnd.nextInt(256);
                case 2 -> b[8 + rnd.nextInt(Math.max(1, headerEnd - 8))] = JSON_BYTES[rnd.nextInt(JSON_BYTES.length)];
                case 3 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1)); // truncate
                case 4 -> { // grow or shrink the header length
                    if (b.length >= 8) {
                        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                        long n = bb.getLong(0);
                        bb.putLong(0, switch (rnd.nextInt(4)) {
                            case 0 -> n + rnd.nextInt(17) - 8;
                            case 1 -> n * 2;
                            case 2 -> rnd.nextLong();
                            default -> rnd.nextInt(b.length + 16);
                        });
                    }
                }
                case 5 -> b = jsonEdit(rnd, b);
                case 6 -> { // remove a run of header bytes, keeping the length field as it was
                    if (headerEnd > 9) {
                        int from = 8 + rnd.nextInt(headerEnd - 8), len = 1 + rnd.nextInt(Math.min(16, headerEnd - from));
                        byte[] out = new byte[b.length - len];
                        System.arraycopy(b, 0, out, 0, from);
                        System.arraycopy(b, from + len, out, from, b.length - from - len);
                        b = out;
                    }
                }
                default -> { // append junk
                    byte[] junk = new byte[rnd.nextInt(32)];
                    rnd.nextBytes(junk);
                    byte[] out = Arrays.copyOf(b, b.length + junk.length);
                    System.arraycopy(junk, 0, out, b.length, junk.length);
                    b = out;
                }
            }
            headerEnd = b.length < 8 ? b.length
                    : (int) Math.max(0, Math.min(b.length, 8 + ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0)));
            if (headerEnd < 8) break;
        }
        return b;
    }

    /** Rewrites the header text (keeping the length field consistent): numbers, dtypes, keys. */
    private static byte[] jsonEdit(Random rnd, byte[] b) {
        if (b.length < 8) return b;
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 0 || n > b.length - 8) return b;
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        String edited = switch (rnd.nextInt(6)) {
            case 0 -> header.replaceFirst("\\d+", List.of("-1", "0", "1.5", "1e3", "4294967296", "99999999999999999999",
                    "9223372036854775807", "2147483648").get(rnd.nextInt(8)));
            case 1 -> header.replaceFirst("\"(F32|BF16|I64|U8|BOOL|F16|I32|F64|I8)\"",
                    List.of("\"F8_E4M3\"", "\"F4\"", "\"X\"", "7", "null", "\"C64\"").get(rnd.nextInt(6)));
            case 2 -> header.replaceFirst("\"shape\":\\[[^]]*]", List.of("\"shape\":[]", "\"shape\":[0]",
                    "\"shape\":[65536,65536]", "\"shape\":{}").get(rnd.nextInt(4)));
            case 3 -> header.replaceFirst("\"data_offsets\":\\[\\d+,", "\"data_offsets\":[0,");
            case 4 -> { // duplicate an entry's key
                int at = header.indexOf("\":{\"dtype\"");
                yield at < 0 ? header : header.replaceFirst(",\"", ",\"" + header.substring(header.lastIndexOf('"', at - 1) + 1, at) + "\":1,\"");
            }
            default -> header.replace("__metadata__", "meta");
        };
        byte[] text = edited.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + text.length + (int) (b.length - 8 - n)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(text.length).put(text).put(b, 8 + (int) n, (int) (b.length - 8 - n));
        return out.array();
    }
}
