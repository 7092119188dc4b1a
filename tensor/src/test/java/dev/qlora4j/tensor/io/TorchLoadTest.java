package dev.qlora4j.tensor.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Files written by PyTorch itself (src/test/oracle/torch_files.py, torch 1.13) read back with their values. */
class TorchLoadTest {
    private static final Path DIR = Path.of("src", "test", "resources", "torch");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static float[] flat(JsonNode n) {
        List<Float> out = new ArrayList<>();
        flatten(n, out);
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) a[i] = out.get(i);
        return a;
    }

    private static void flatten(JsonNode n, List<Float> out) {
        if (n.isArray()) n.forEach(c -> flatten(c, out));
        else out.add((float) n.asDouble());
    }

    @Test
    @SuppressWarnings("unchecked")
    void anAdamWStateDictSavedByTorch() throws IOException {
        JsonNode expected = JSON.readTree(DIR.resolve("expected.json").toFile());
        Map<Object, Object> sd = (Map<Object, Object>) TorchLoad.read(DIR.resolve("optimizer.pt"));
        Map<Object, Object> state = (Map<Object, Object>) sd.get("state");
        assertThat(state.keySet()).containsExactly(0L, 1L);
        for (long i = 0; i < 2; i++) {
            Map<String, Object> s = (Map<String, Object>) state.get(i);
            JsonNode want = expected.get("optimizer").get(Long.toString(i));
            assertThat(((TorchSave.FloatTensor) s.get("step")).data()).containsExactly(2f);
            for (String k : List.of("exp_avg", "exp_avg_sq"))
                assertThat(((TorchSave.FloatTensor) s.get(k)).data()).as(k).containsExactly(flat(want.get(k)));
        }
        assertThat(((TorchSave.FloatTensor) ((Map<String, Object>) state.get(0L)).get("exp_avg")).shape()).containsExactly(3, 2);
        List<Map<String, Object>> groups = (List<Map<String, Object>>) sd.get("param_groups");
        assertThat(groups).hasSize(2);
        assertThat(groups.get(0).get("params")).isEqualTo(List.of(0L, 1L));
        assertThat(groups.get(1).get("params")).isEqualTo(List.of());
        assertThat(groups.get(0).get("lr")).isEqualTo(expected.at("/param_groups/0/lr").asDouble());
        assertThat(groups.get(0).get("betas")).isEqualTo(new TorchSave.Tuple(0.9, 0.95));
        assertThat(groups.get(0).get("foreach")).isNull();
        assertThat(groups.get(0).get("amsgrad")).isEqualTo(false);

        Map<String, Object> sched = (Map<String, Object>) TorchLoad.read(DIR.resolve("scheduler.pt"));
        assertThat(sched.get("last_epoch")).isEqualTo(expected.at("/scheduler/last_epoch").asLong());
        assertThat(sched.get("_last_lr")).isEqualTo(List.of(expected.at("/scheduler/_last_lr/0").asDouble(),
                expected.at("/scheduler/_last_lr/1").asDouble()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void dtypesViewsAndPlainValues() throws IOException {
        JsonNode expected = JSON.readTree(DIR.resolve("expected.json").toFile()).get("misc");
        Map<String, Object> m = (Map<String, Object>) TorchLoad.read(DIR.resolve("misc.pt"));
        assertThat(((TorchSave.FloatTensor) m.get("bf16")).data()).containsExactly(flat(expected.get("bf16")));
        TorchSave.FloatTensor t = (TorchSave.FloatTensor) m.get("transposed");
        assertThat(t.shape()).containsExactly(3, 2);
        assertThat(t.data()).containsExactly(flat(expected.get("transposed")));
        assertThat(((TorchSave.FloatTensor) m.get("slice")).data()).containsExactly(3, 4, 5, 6);
        assertThat(((TorchSave.FloatTensor) m.get("scalar")).shape()).isEmpty();
        assertThat(m.get("ints")).isEqualTo(List.of(1L, 300L, 70000L, -2L, 1L << 40));
        assertThat(((Map<String, Object>) m.get("nested")).get("t")).isEqualTo(new TorchSave.Tuple(1L, "two", null, true));
    }

    @Test
    @SuppressWarnings("unchecked")
    void whatTorchSaveWritesReadsBack(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("round.pt");
        TorchSave.write(file, Map.of("w", new TorchSave.FloatTensor(new float[]{1, -2, 3.5f, 4, 5, 6}, 2, 3), "lr", 0.25,
                "steps", List.of(1, -1, 1L << 33)));
        Map<String, Object> back = (Map<String, Object>) TorchLoad.read(file);
        assertThat(((TorchSave.FloatTensor) back.get("w")).data()).containsExactly(1, -2, 3.5f, 4, 5, 6);
        assertThat(((TorchSave.FloatTensor) back.get("w")).shape()).containsExactly(2, 3);
        assertThat(back.get("lr")).isEqualTo(0.25);
        assertThat(back.get("steps")).isEqualTo(List.of(1L, -1L, 1L << 33));
    }

    @Test
    void codeInThePickleIsRefused(@TempDir Path tmp) throws IOException {
        // os.system("true") as a pickle: GLOBAL os system, then a call
        byte[] evil = "\u0080\u0002cos\nsystem\nX\u0004\u0000\u0000\u0000true\u0085R.".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Path file = tmp.resolve("evil.pt");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("evil/data.pkl"));
            zip.write(evil);
            zip.closeEntry();
        }
        assertThatThrownBy(() -> TorchLoad.read(file)).isInstanceOf(BadInputException.class)
                .hasMessage("the pickle names os.system, which a weights-only load refuses (" + file + ")");
        Path notZip = Files.writeString(tmp.resolve("plain.pt"), "not a zip");
        assertThatThrownBy(() -> TorchLoad.read(notZip)).isInstanceOf(BadInputException.class).hasMessageContaining(notZip.toString());
    }
}
