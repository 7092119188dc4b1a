package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Write → read round trips for every dtype and layout, the writer's ordering, file handling, lifetime. */
class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    /** A contiguous tensor of random bytes (BOOL: 0 or 1); random bits cover NaN payloads and extremes. */
    static Tensor randomTensor(Random rnd, DType type, int... shape) {
        Tensor t = Tensor.zeros(type, shape);
        byte[] bytes = new byte[Math.toIntExact(t.numel() * type.byteSize())];
        rnd.nextBytes(bytes);
        if (type == DType.BOOL) for (int i = 0; i < bytes.length; i++) bytes[i] &= 1;
        MemorySegment.copy(bytes, 0, t.segment(), ValueLayout.JAVA_BYTE, 0, bytes.length);
        return t;
    }

    /** The row-major element bytes of any tensor, walking its strides element by element. */
    static byte[] elementBytes(Tensor t) {
        int[] shape = t.shape();
        long[] strides = t.strides();
        int size = t.dtype().byteSize();
        byte[] out = new byte[Math.toIntExact(t.numel() * size)];
        int[] idx = new int[shape.length];
        for (int e = 0; e < t.numel(); e++) {
            long p = t.offset();
            for (int d = 0; d < shape.length; d++) p += idx[d] * strides[d];
            MemorySegment.copy(t.segment(), ValueLayout.JAVA_BYTE, p * size, out, e * size, size);
            for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return out;
    }

    private Map<String, Tensor> roundTrip(Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Path file = dir.resolve("rt.safetensors");
        SafetensorsWriter.write(file, tensors, metadata);
        assertThat(Files.readAllBytes(file)).isEqualTo(SafetensorsWriter.toBytes(tensors, metadata));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.names()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
            assertThat(f.hasMetadata()).isEqualTo(metadata != null);
            if (metadata != null) assertThat(f.metadata()).containsExactlyEntriesOf(metadata);
            for (var e : tensors.entrySet()) {
                Tensor view = f.tensor(e.getKey());
                assertThat(view.dtype()).isEqualTo(e.getValue().dtype());
                assertThat(view.shape()).isEqualTo(e.getValue().shape());
                assertThat(elementBytes(view)).as(e.getKey()).isEqualTo(elementBytes(e.getValue()));
            }
            return f.copyAll();
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeRoundTripsBitExactly(DType type) throws IOException {
        Random rnd = new Random(1000 + type.ordinal());
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("matrix", randomTensor(rnd, type, 3, 5));
        m.put("vector", randomTensor(rnd, type, 7));
        m.put("scalar", randomTensor(rnd, type));
        m.put("empty", Tensor.zeros(type, 0));
        m.put("empty.inner", Tensor.zeros(type, 2, 0, 3));
        m.put("rank4", randomTensor(rnd, type, 2, 1, 3, 2));
        Map<String, Tensor> copies = roundTrip(m, null);
        assertThat(copies.get("scalar").rank()).isZero();
        assertThat(copies.get("empty.inner").shape()).containsExactly(2, 0, 3);
        for (var e : m.entrySet()) assertThat(elementBytes(copies.get(e.getKey()))).isEqualTo(elementBytes(e.getValue()));
    }

    /** Views of every kind are written as their contiguous values, bit for bit (F64, I64, NaN payloads). */
    @ParameterizedTest
    @EnumSource(DType.class)
    void nonContiguousViewsAreWrittenAsTheirValues(DType type) throws IOException {
        Random rnd = new Random(2000 + type.ordinal());
        Tensor base = randomTensor(rnd, type, 4, 6);
        Tensor cube = randomTensor(rnd, type, 2, 3, 4);
        Tensor row = randomTensor(rnd, type, 1, 6);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("transposed", base.t());
        m.put("narrowed", base.narrow(1, 1, 3));
        m.put("selected.column", base.select(1, 2));
        m.put("expanded", row.expand(3, 6));
        m.put("permuted", cube.permute(2, 0, 1));
        m.put("narrowed.rows", cube.narrow(0, 1, 1).narrow(2, 1, 2));
        m.put("empty.view", base.narrow(1, 2, 0));
        for (var e : m.entrySet())
            if (e.getValue().numel() > 1) assertThat(e.getValue().isContiguous()).as(e.getKey()).isFalse();
        roundTrip(m, Map.of("kind", "views"));
    }

    @Test
    void metadataNoneEmptyAndOrdered() throws IOException {
        Map<String, Tensor> one = Map.of("x", Tensor.vector(1, 2));
        roundTrip(one, null);
        roundTrip(one, Map.of());
        Map<String, String> ordered = new LinkedHashMap<>();
        for (String k : List.of("zeta", "alpha", "m\u00fc", "\u2603", "")) ordered.put(k, k + "-value\n\"\\");
        roundTrip(one, ordered);
        assertThat(new String(SafetensorsWriter.toBytes(one, Map.of()), StandardCharsets.UTF_8))
                .contains("{\"__metadata__\":{},\"x\":{");
        assertThat(new String(SafetensorsWriter.toBytes(one, null), StandardCharsets.UTF_8)).doesNotContain("__metadata__");
        roundTrip(Map.of(), Map.of("only", "metadata"));
        assertThat(SafetensorsWriter.toBytes(Map.of(), null)).hasSize(16); // "{}" padded to 8
    }

    /** The reference orders by dtype rank, then by the names' UTF-8 bytes; check against that oracle. */
    @Test
    void layoutOrderIsDtypeRankThenUtf8Bytes() {
        Random rnd = new Random(3);
        String[] pieces = {"a", "B", "_", ".", "0", "\u00e9", "\u0800", "\uffff", "\uD83D\uDE00", "\uD800\uDC00", "z"};
        for (int round = 0; round < 50; round++) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            while (m.size() < 12) {
                StringBuilder name = new StringBuilder();
                for (int i = rnd.nextInt(4); i >= 0; i--) name.append(pieces[rnd.nextInt(pieces.length)]);
                DType type = DType.values()[rnd.nextInt(DType.values().length)];
                m.put(name.toString(), Tensor.zeros(type, rnd.nextInt(3)));
            }
            List<String> expected = new ArrayList<>(m.keySet());
            expected.sort((x, y) -> {
                int byRank = Integer.compare(SafetensorsDtype.of(m.get(y).dtype()).ordinal(), SafetensorsDtype.of(m.get(x).dtype()).ordinal());
                return byRank != 0 ? byRank : Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8));
            });
            Path file = Craft.file(dir, "order.safetensors", SafetensorsWriter.toBytes(m, null));
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertThat(f.names()).containsExactlyElementsOf(expected);
                long at = 0;
                for (TensorInfo t : f.tensors()) {
                    assertThat(t.begin()).isEqualTo(at);
                    at = t.end();
                }
            }
        }
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytes() {
        for (int len = 1; len <= 9; len++) {
            byte[] b = SafetensorsWriter.toBytes(Map.of("n".repeat(len), Tensor.vector(1)), null);
            long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertThat(n % 8).isZero();
            String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
            assertThat(header.stripTrailing()).endsWith("}");
            assertThat(header.substring(header.stripTrailing().length())).matches(" {0,7}");
        }
    }

    @Test
    void writerRefusesWhatTheFormatCannotHold() {
        assertThatThrownBy(() -> SafetensorsWriter.toBytes(Map.of("__metadata__", Tensor.vector(1)), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SafetensorsWriter.toBytes(Map.of("bad\uD800", Tensor.vector(1)), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lone surrogate");
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("w.safetensors");
        Files.writeString(file, "old content");
        SafetensorsWriter.write(file, Map.of("x", Tensor.vector(1, 2, 3)), Map.of("format", "pt"));
        try (var list = Files.list(dir)) {
            assertThat(list.toList()).containsExactly(file);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensor("x").toFloatArray()).containsExactly(1, 2, 3);
        }
    }

    /** Overwriting a file that is mapped: the rename leaves the old views on the old bytes. */
    @Test
    void overwritingAnOpenFileKeepsItsViewsIntact() throws IOException {
        Path file = dir.resolve("adapter.safetensors");
        SafetensorsWriter.write(file, Map.of("w", Tensor.vector(1, 2, 3, 4)), null);
        try (SafetensorsFile old = SafetensorsFile.open(file)) {
            Tensor view = old.tensor("w");
            SafetensorsWriter.write(file, Map.of("w", view.mul(10f)), null);
            assertThat(view.toFloatArray()).containsExactly(1, 2, 3, 4);
            try (SafetensorsFile fresh = SafetensorsFile.open(file)) {
                assertThat(fresh.tensor("w").toFloatArray()).containsExactly(10, 20, 30, 40);
            }
        }
    }

    @Test
    void releasedMappedPagesAreReadAgainFromTheFile() throws IOException {
        Path file = dir.resolve("weights.safetensors");
        Tensor a = randomTensor(new Random(7), DType.BF16, 300, 100), b = randomTensor(new Random(8), DType.F32, 5000);
        SafetensorsWriter.write(file, Map.of("a", a, "b", b), null);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Tensor ma = f.tensor("a"), mb = f.tensor("b");
            assertThat(ma.segment().isMapped()).isTrue();
            assertThat(elementBytes(ma)).isEqualTo(elementBytes(a));
            ma.releaseMappedPages();
            // its neighbour shares a page and the released one is still readable
            assertThat(elementBytes(mb)).isEqualTo(elementBytes(b));
            assertThat(elementBytes(ma)).isEqualTo(elementBytes(a));
        }
        Tensor owned = Tensor.vector(1, 2, 3);
        owned.releaseMappedPages();
        assertThat(owned.toFloatArray()).containsExactly(1, 2, 3);
    }

    @Test
    void failedWriteLeavesTargetAndFolderUntouched() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        Files.writeString(file, "keep");
        Tensor fine = Tensor.vector(1, 2).expand(3, 2);
        // a view of a closed file fails when the writer reaches its bytes, after the header went out
        Path other = Craft.file(dir, "src.safetensors", SafetensorsWriter.toBytes(Map.of("a", Tensor.vector(1)), null));
        Tensor dead;
        try (SafetensorsFile f = SafetensorsFile.open(other)) {
            dead = f.tensor("a");
        }
        assertThatThrownBy(() -> SafetensorsWriter.write(file, Map.of("ok", fine, "dead", dead), null))
                .isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(file)).isEqualTo("keep");
        try (var list = Files.list(dir)) {
            assertThat(list.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("keep.safetensors", "src.safetensors");
        }
    }

    @Test
    void viewsDieWithTheFileButCopiesLive() throws IOException {
        Path file = dir.resolve("l.safetensors");
        SafetensorsWriter.write(file, Map.of("x", Tensor.vector(5, 6)), null);
        Tensor view, copy;
        SafetensorsFile f = SafetensorsFile.open(file);
        view = f.tensor("x");
        copy = f.copyOf("x");
        f.close();
        f.close(); // idempotent
        assertThatThrownBy(view::toFloatArray).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> f.tensor("x")).isInstanceOf(IllegalStateException.class);
        assertThat(copy.toFloatArray()).containsExactly(5, 6);
        assertThat(copy.isDenseF32()).isTrue();
    }

    /** Worker threads read views of a mapping opened on another thread (the shared arena). */
    @Test
    void viewsAreReadableFromOtherThreads() throws Exception {
        Path file = dir.resolve("mt.safetensors");
        SafetensorsWriter.write(file, Map.of("x", Tensor.arange(1000)), null);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Tensor view = f.tensor("x");
            float[][] seen = new float[1][];
            Thread t = Thread.ofPlatform().start(() -> seen[0] = view.toFloatArray());
            t.join();
            assertThat(seen[0]).containsExactly(Tensor.arange(1000).toFloatArray());
        }
    }
}
