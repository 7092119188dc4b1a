package dev.qlora4j.tensor.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** torch.save's layout: records, their alignment, the pickle's opcodes and the tensor bytes. */
class TorchSaveTest {
    @TempDir
    Path dir;

    @Test
    void plainValuesPickleToProtocolTwoOpcodes() throws IOException {
        Map<String, Object> obj = new LinkedHashMap<>();
        obj.put("a", Arrays.asList(1, 300, -2, 1L << 40, 0.5, null, true, false, new TorchSave.Tuple(), new TorchSave.Tuple(7)));
        Path file = dir.resolve("scheduler.pt");
        TorchSave.write(file, obj);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            assertThat(zip.stream().map(ZipEntry::getName).toList())
                    .containsExactly("scheduler/data.pkl", "scheduler/byteorder", "scheduler/version");
            assertThat(new String(zip.getInputStream(zip.getEntry("scheduler/version")).readAllBytes())).isEqualTo("3\n");
            byte[] pkl = zip.getInputStream(zip.getEntry("scheduler/data.pkl")).readAllBytes();
            String expected = "8002" + "7d" + "28" + "5801000000" + "61"          // PROTO 2, {, MARK, 'a'
                    + "5d" + "28" + "4b01" + "4a2c010000" + "4afeffffff"           // [, MARK, 1, 300, -2
                    + "8a080000000000010000"                                       // LONG1 2^40
                    + "473fe0000000000000" + "4e" + "88" + "89"                    // 0.5, None, True, False
                    + "29" + "284b0774" + "65" + "75" + "2e";                      // (), (7,), APPENDS, SETITEMS, STOP
            assertThat(HexFormat.of().formatHex(pkl)).isEqualTo(expected);
        }
    }

    @Test
    void tensorsAreStoragesOfLittleEndianFloatsWithAlignedRecords() throws IOException {
        Path file = dir.resolve("optimizer.pt");
        float[] values = {1.5f, -2f, 3.25f, 0f, 7f, 8f};
        TorchSave.write(file, Map.of("m", new TorchSave.FloatTensor(values, 3, 2), "s", TorchSave.FloatTensor.scalar(4f)));
        byte[] raw = Files.readAllBytes(file);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            List<String> names = zip.stream().map(ZipEntry::getName).toList();
            assertThat(names).contains("optimizer/data/0", "optimizer/data/1");
            byte[] data = zip.getInputStream(zip.getEntry("optimizer/data/0")).readAllBytes();
            byte[] other = zip.getInputStream(zip.getEntry("optimizer/data/1")).readAllBytes();
            byte[] m = data.length == 24 ? data : other;
            float[] back = new float[6];
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(back);
            assertThat(back).containsExactly(values);
            String pkl = new String(zip.getInputStream(zip.getEntry("optimizer/data.pkl")).readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(pkl).contains("ctorch._utils\n_rebuild_tensor_v2\n", "ctorch\nFloatStorage\n", "ccollections\nOrderedDict\n");
            // every record's data starts at a multiple of 64 in the file
            for (String name : names) {
                byte[] content = zip.getInputStream(zip.getEntry(name)).readAllBytes();
                List<Integer> at = new ArrayList<>();
                for (int i = 0; i + content.length <= raw.length && content.length > 0; i++)
                    if (Arrays.equals(raw, i, i + content.length, content, 0, content.length)) at.add(i);
                assertThat(at).as(name).anyMatch(i -> i % 64 == 0);
            }
        }
        assertThat(dir.resolve(".optimizer.pt.tmp")).doesNotExist();
    }

    @Test
    void refusesWhatItCannotWrite() {
        assertThatThrownBy(() -> TorchSave.write(dir.resolve("x.pt"), Map.of("k", new Object())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot pickle a java.lang.Object");
        assertThatThrownBy(() -> new TorchSave.FloatTensor(new float[3], 2, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("x.pt")).doesNotExist();
    }
}
