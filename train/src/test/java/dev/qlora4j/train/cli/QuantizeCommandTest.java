package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code quantize}, then the 4-bit folder through inspect and eval. */
class QuantizeCommandTest {
    private static final Path FIXTURES = Path.of("..", "fixtures", "hf");

    @Test
    void quantizedModelsInspectAndEvaluate(@TempDir Path tmp) throws IOException {
        Path model = FIXTURES.resolve("llama/model"), out = tmp.resolve("q4");
        Cli.Run q = Cli.run("quantize", "--model", model.toString(), "--out", out.toString(), "--double-quant", "--json");
        assertThat(q.status()).as(q.err()).isZero();
        JsonNode r = q.json();
        assertThat(r.get("out").asText()).isEqualTo(out.toString());
        // the fixture's 7 projections × 2 layers; every other tensor stays as it was
        assertThat(r.get("bits_per_param").asDouble()).isBetween(4.0, 6.0);
        assertThat(r.get("bytes").asLong() * 8).isEqualTo(Math.round(r.get("bits_per_param").asDouble() * r.get("parameters").asLong()));

        JsonNode base = Cli.run("inspect", model.toString(), "--json").json(), quant = Cli.run("inspect", out.toString(), "--json").json();
        assertThat(quant.get("parameters").asLong()).as("4-bit tensors count as the weights they stand for").isEqualTo(base.get("parameters").asLong());
        assertThat(quant.get("tensors").toString()).contains("quant_state.bitsandbytes__nf4");

        Path data = java.nio.file.Files.writeString(tmp.resolve("d.jsonl"), "{\"text\": \"What is justice? Tell me what all just acts share.\"}\n");
        double fp32 = Cli.run("eval", "--model", model.toString(), "--data", data.toString(), "--json").json().get("loss").asDouble();
        double nf4 = Cli.run("eval", "--model", out.toString(), "--data", data.toString(), "--json").json().get("loss").asDouble();
        assertThat(nf4).isNotEqualTo(fp32).isCloseTo(fp32, org.assertj.core.data.Offset.offset(0.05 * fp32));
    }

    @Test
    void badBlockSizeIsOneLine(@TempDir Path tmp) {
        Cli.Run r = Cli.run("quantize", "--model", FIXTURES.resolve("llama/model").toString(), "--out", tmp.resolve("o").toString(),
                "--blocksize", "48");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("error: ").contains("48").doesNotContain("\n");
    }
}
