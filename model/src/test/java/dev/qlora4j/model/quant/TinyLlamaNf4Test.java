package dev.qlora4j.model.quant;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.model.lora.LoraLinear;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.model.nn.DenseLinear;
import dev.qlora4j.model.nn.Linear;
import dev.qlora4j.model.nn.Nf4Linear;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.tensor.quant.Nf4Quantizer;
import dev.qlora4j.tensor.quant.Nf4StateDict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * fixtures/nf4/tiny_llama: a Llama saved 4-bit (NF4, double quant, bf16 compute) by transformers
 * 5.17 + bitsandbytes, and the bf16 weights it was quantized from. Loading, forward/backward
 * against the dequantized base, quantize-on-load and the quantize writer, all to the bit.
 */
class TinyLlamaNf4Test {
    static final Path DIR = Path.of("..", "fixtures", "nf4", "tiny_llama");

    @TempDir
    Path tmp;

    /** The base model as a folder of its own: config.json without quantization_config, the bf16 weights. */
    static Path baseFolder(Path tmp) throws IOException {
        Path base = Files.createDirectories(tmp.resolve("base"));
        ObjectNode cfg = JsonFiles.readObject(DIR.resolve("config.json"));
        cfg.remove("quantization_config");
        Files.writeString(base.resolve("config.json"), cfg.toPrettyString());
        Files.copy(DIR.resolve("base_model.safetensors"), base.resolve("model.safetensors"));
        return base;
    }

    @Test
    void loadsTheSavedCheckpointWithFourBitProjectionsAndFullPrecisionTheRest() {
        try (Transformer m = Transformer.load(DIR)) {
            for (DecoderLayer layer : m.layers())
                for (String p : DecoderLayer.PROJECTIONS) {
                    Linear l = layer.projections().get(p);
                    assertThat(l).as(p).isInstanceOf(Nf4Linear.class);
                    assertThat(((Nf4Linear) l).weight().doubleQuantized()).isTrue();
                    assertThat(((Nf4Linear) l).weight().dtype()).isEqualTo(DType.BF16);
                }
            assertThat(m.head()).isInstanceOf(DenseLinear.class);
            assertThat(((DenseLinear) m.head()).weight().dtype()).isEqualTo(DType.BF16);
            assertThat(m.embeddings().dtype()).isEqualTo(DType.BF16);
            QuantizationConfig q = m.quantization();
            assertThat(q.doubleQuant()).isTrue();
            assertThat(q.computeDtype()).isEqualTo(DType.BF16);
            assertThat(q.quantStorage()).isEqualTo("uint8");
            assertThat(q.skipModules()).isNull();
        }
    }

    @Test
    void forwardAndGradientsEqualTheBaseModelWithDequantizedLinears() throws IOException {
        Path base = baseFolder(tmp);
        Tensor ids = Tensor.ofInts(new int[]{1, 17, 42, 99, 5, 63, 2, 120, 1, 7, 8, 9}, 2, 6);
        Tensor labels = Tensor.ofInts(new int[]{-100, 17, 42, 99, 5, 63, -100, 120, 1, 7, 8, 9}, 2, 6);
        try (Transformer q = Transformer.load(DIR); Transformer b = Transformer.load(base)) {
            for (int i = 0; i < q.layers().size(); i++)
                for (String p : DecoderLayer.PROJECTIONS) {
                    Nf4Linear l = (Nf4Linear) q.layers().get(i).projections().get(p);
                    Tensor dense = Tensor.of(Nf4Quantizer.dequantizeF32(l.weight()), l.outFeatures(), l.inFeatures());
                    b.layers().get(i).replace(p, new DenseLinear(dense, null));
                }
            assertThat(q.lmLogits(q.hidden(ids, null, null)).toFloatArray())
                    .isEqualTo(b.lmLogits(b.hidden(ids, null, null)).toFloatArray());
            // QLoRA: an adapter on q_proj trains through every frozen 4-bit layer above it
            Generator g = new Generator(3);
            Tensor a0 = Tensor.randn(g, 0.1f, 4, 128), b0 = Tensor.randn(g, 0.1f, 128, 4);
            Tensor[] grads = new Tensor[4];
            int k = 0;
            for (Transformer m : new Transformer[]{q, b}) {
                Tensor a = a0.copy().requiresGrad(true), bb = b0.copy().requiresGrad(true);
                DecoderLayer layer = m.layers().getFirst();
                layer.replace("self_attn.q_proj", new LoraLinear(layer.projections().get("self_attn.q_proj"), a, bb, 2f, 0f, null));
                m.causalLmLoss(ids, null, labels, CrossEntropy.Reduction.MEAN).backward();
                grads[k++] = a.grad();
                grads[k++] = bb.grad();
            }
            assertThat(grads[0].toFloatArray()).isEqualTo(grads[2].toFloatArray());
            assertThat(grads[1].toFloatArray()).isEqualTo(grads[3].toFloatArray());
            assertThat(grads[0].toFloatArray()).isNotEqualTo(new float[grads[0].toFloatArray().length]);
        }
    }

    @Test
    void quantizeOnLoadGivesTheBytesBitsandbytesWrote() throws IOException {
        Path base = baseFolder(tmp);
        try (Transformer m = Transformer.load(base, false, QuantizationConfig.nf4(true));
             SafetensorsFile want = SafetensorsFile.open(DIR.resolve("model.safetensors"))) {
            int compared = 0;
            for (int i = 0; i < m.layers().size(); i++)
                for (String p : DecoderLayer.PROJECTIONS) {
                    String key = "model.layers." + i + "." + p + ".weight";
                    Nf4Linear l = (Nf4Linear) m.layers().get(i).projections().get(p);
                    for (Map.Entry<String, Tensor> e : Nf4StateDict.toStateDict(key, l.weight()).entrySet()) {
                        assertThat(bytes(e.getValue())).as(e.getKey()).isEqualTo(bytes(want.tensor(e.getKey())));
                        assertThat(e.getValue().shape()).as(e.getKey()).containsExactly(want.info(e.getKey()).shape());
                        compared++;
                    }
                }
            assertThat(compared).isEqualTo(7 * 6);
            assertThat(m.head()).isInstanceOf(DenseLinear.class);
        }
    }

    @Test
    void quantizeWritesTheFolderTransformersSaved() throws IOException {
        Path base = baseFolder(tmp);
        Files.writeString(base.resolve("tokenizer_config.json"), "{}");
        Path out = tmp.resolve("out");
        Nf4Checkpoints.Result r = Nf4Checkpoints.quantize(base, out, true, 64);
        assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).isEqualTo(Files.readAllBytes(DIR.resolve("model.safetensors")));
        assertThat(Files.readString(out.resolve("config.json"))).isEqualTo(Files.readString(DIR.resolve("config.json")));
        assertThat(out.resolve("tokenizer_config.json")).hasContent("{}");
        // q, k, v, o, gate, up, down of one layer: 128·128 + 2·64·128 + 128·128 + 3·320·128
        long params = 128 * 128 + 2 * 64 * 128 + 128 * 128 + 3 * 320 * 128;
        assertThat(r.parameters()).isEqualTo(params);
        long bytes = 0;
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            for (String n : f.names()) if (n.contains("_proj.weight")) bytes += f.info(n).byteSize();
        }
        assertThat(r.bytes()).isEqualTo(bytes);
        assertThat(r.bitsPerParam()).isEqualTo(8.0 * bytes / params);
        System.out.printf("tiny_llama: %d parameters quantized into %d bytes = %.4f bits/param%n", r.parameters(), r.bytes(), r.bitsPerParam());
        // and the result loads back as the same 4-bit model
        try (Transformer a = Transformer.load(out); Transformer b = Transformer.load(DIR)) {
            Tensor ids = Tensor.ofInts(new int[]{3, 1, 4, 1, 5, 9, 2, 6}, 1, 8);
            assertThat(a.lmLogits(a.hidden(ids, null, null)).toFloatArray()).isEqualTo(b.lmLogits(b.hidden(ids, null, null)).toFloatArray());
        }
    }

    @Test
    void aFourBitModelCannotBeFullyTrained() {
        assertThatThrownBy(() -> Transformer.load(DIR, true)).isInstanceOf(BadInputException.class)
                .hasMessageContaining("a 4-bit weight cannot be trained").hasMessageContaining("model.layers.0.self_attn.q_proj.weight");
    }

    @Test
    void brokenFourBitTensorsAreOneLineErrorsNamingTheTensor() throws IOException {
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.copy(DIR.resolve("config.json"), broken.resolve("config.json"));
        Map<String, Tensor> all;
        try (SafetensorsFile f = SafetensorsFile.open(DIR.resolve("model.safetensors"))) {
            all = new java.util.LinkedHashMap<>(f.copyAll());
        }
        all.remove("model.layers.0.mlp.up_proj.weight.absmax");
        dev.qlora4j.tensor.io.SafetensorsWriter.write(broken.resolve("model.safetensors"), all, Map.of("format", "pt"));
        assertThatThrownBy(() -> Transformer.load(broken)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("missing tensor \"model.layers.0.mlp.up_proj.weight.absmax\" of a 4-bit weight (");
        all.put("model.layers.0.mlp.up_proj.weight.absmax", Tensor.zeros(DType.U8, 639));
        dev.qlora4j.tensor.io.SafetensorsWriter.write(broken.resolve("model.safetensors"), all, Map.of("format", "pt"));
        assertThatThrownBy(() -> Transformer.load(broken)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("expected U8 with 640 values, found U8 [639] (")
                .hasMessageEndingWith("model.safetensors, tensor \"model.layers.0.mlp.up_proj.weight.absmax\")");
    }

    @Test
    void quantizingAQuantizedModelIsRefused() {
        assertThatThrownBy(() -> Nf4Checkpoints.quantize(DIR, tmp.resolve("o"), true, 64)).isInstanceOf(BadInputException.class)
                .hasMessageStartingWith("the model is already quantized (");
    }

    static byte[] bytes(Tensor t) {
        long size = t.dtype().byteSize();
        return t.segment().asSlice(t.offset() * size, t.numel() * size).toArray(ValueLayout.JAVA_BYTE);
    }
}
