package dev.qlora4j.tensor.quant;

import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import dev.qlora4j.tensor.io.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state-dict keys of a bitsandbytes 4-bit weight, as {@code Linear4bit._save_to_state_dict}
 * writes them and transformers' {@code save_pretrained} stores them (W = the module's "weight" key):
 * <ul>
 *   <li>{@code W}: U8 [(n+1)/2, 1], the packed codes (another quant_storage dtype holds the same bytes);</li>
 *   <li>{@code W.absmax}: F32 [blocks], or with double quantization U8 [blocks] (8-bit codes);</li>
 *   <li>{@code W.quant_map}: F32 [16], the NF4 code book;</li>
 *   <li>double quantization only: {@code W.nested_absmax} F32 [ceil(blocks/256)] and
 *       {@code W.nested_quant_map} F32 [256], the dynamic map;</li>
 *   <li>{@code W.quant_state.bitsandbytes__nf4}: U8 [len], the {@link QuantState} JSON.</li>
 * </ul>
 */
public final class Nf4StateDict {
    private Nf4StateDict() {}

    public static final String QUANT_STATE = ".quant_state.bitsandbytes__nf4";
    private static final String FP4_QUANT_STATE = ".quant_state.bitsandbytes__fp4";

    /** Whether the checkpoint stores {@code weightKey} as a bitsandbytes 4-bit weight (NF4 or FP4). */
    public static boolean isQuantized(SafetensorsCheckpoint ckpt, String weightKey) {
        return ckpt.contains(weightKey + QUANT_STATE) || ckpt.contains(weightKey + FP4_QUANT_STATE);
    }

    /** The tensors bitsandbytes writes for {@code w} under {@code weightKey}, in its order. */
    public static Map<String, Tensor> toStateDict(String weightKey, Nf4Weight w) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        long n = w.numel();
        out.put(weightKey, Tensor.wrap(w.packed(), DType.U8, Math.toIntExact((n + 1) / 2), 1));
        switch (w.scales()) {
            case BlockScales.Plain p -> out.put(weightKey + ".absmax", Tensor.wrap(p.values(), DType.F32, p.count()));
            case BlockScales.Nested q -> out.put(weightKey + ".absmax", Tensor.wrap(q.codes(), DType.U8, q.count()));
        }
        out.put(weightKey + ".quant_map", Tensor.of(Nf4.codebook(), 16));
        if (w.scales() instanceof BlockScales.Nested q) {
            out.put(weightKey + ".nested_absmax", Tensor.of(q.nested().clone(), q.nested().length));
            out.put(weightKey + ".nested_quant_map", Tensor.of(q.map().clone(), q.map().length));
        }
        byte[] json = w.quantState().toBytes();
        out.put(weightKey + QUANT_STATE, Tensor.wrap(MemorySegment.ofArray(json), DType.U8, json.length));
        return out;
    }

    /**
     * Reads the 4-bit weight stored under {@code weightKey}, checking every key's presence, dtype
     * and size against the quant state. Packed codes and scales stay views of the checkpoint.
     */
    public static Nf4Weight read(SafetensorsCheckpoint ckpt, String weightKey) {
        if (ckpt.contains(weightKey + FP4_QUANT_STATE))
            throw BadInputException.at(where(ckpt, weightKey + FP4_QUANT_STATE), "FP4 4-bit weights are not supported, only NF4 (bnb_4bit_quant_type=\"nf4\")");
        String stateKey = weightKey + QUANT_STATE;
        QuantState state = QuantState.parse(bytes(require(ckpt, stateKey)).toArray(ValueLayout.JAVA_BYTE), where(ckpt, stateKey));
        int[] shape = state.shape();
        if (shape.length != 2)
            throw BadInputException.at(where(ckpt, stateKey), "a 4-bit linear weight must be 2-D, quant_state shape is " + Arrays.toString(shape));
        long n = state.numel();
        int blocks = Nf4Weight.blocks(n, state.blocksize());

        Tensor packed = require(ckpt, weightKey);
        MemorySegment codes = bytes(packed);
        if (codes.byteSize() != (n + 1) / 2)
            throw BadInputException.at(where(ckpt, weightKey), "holds " + codes.byteSize() + " bytes, but shape "
                    + Arrays.toString(shape) + " packs into " + (n + 1) / 2);
        Tensor quantMap = require(ckpt, weightKey + ".quant_map");
        expect(ckpt, weightKey + ".quant_map", quantMap, DType.F32, 16);

        BlockScales scales;
        Tensor absmax = require(ckpt, weightKey + ".absmax");
        if (state.nested() == null) {
            expect(ckpt, weightKey + ".absmax", absmax, DType.F32, blocks);
            scales = new BlockScales.Plain(bytes(absmax), blocks);
        } else {
            int nb = state.nested().blocksize(), nestedBlocks = Math.toIntExact((blocks + (long) nb - 1) / nb);
            expect(ckpt, weightKey + ".absmax", absmax, DType.U8, blocks);
            Tensor nested = require(ckpt, weightKey + ".nested_absmax"), map = require(ckpt, weightKey + ".nested_quant_map");
            expect(ckpt, weightKey + ".nested_absmax", nested, DType.F32, nestedBlocks);
            expect(ckpt, weightKey + ".nested_quant_map", map, DType.F32, 256);
            scales = new BlockScales.Nested(bytes(absmax), blocks, map.toFloatArray(), nested.toFloatArray(), nb, state.nested().offset());
        }
        return new Nf4Weight(shape[0], shape[1], state.blocksize(), state.dtype(), codes, scales);
    }

    private static Tensor require(SafetensorsCheckpoint ckpt, String name) {
        if (!ckpt.contains(name)) throw BadInputException.at(ckpt.path().toString(), "missing tensor \"" + name + "\" of a 4-bit weight");
        TensorInfo info = ckpt.info(name);
        if (!info.supported()) throw BadInputException.at(where(ckpt, name), "dtype " + info.fileDtype() + " is not supported here");
        return ckpt.tensor(name);
    }

    private static void expect(SafetensorsCheckpoint ckpt, String name, Tensor t, DType dtype, long numel) {
        if (t.dtype() != dtype || t.numel() != numel)
            throw BadInputException.at(where(ckpt, name), "expected " + dtype + " with " + numel + " values, found " + t.dtype()
                    + " " + Arrays.toString(t.shape()));
    }

    /** The bytes of a contiguous tensor, whatever its dtype (quant_storage may be other than uint8). */
    private static MemorySegment bytes(Tensor t) {
        long size = t.dtype().byteSize();
        return t.segment().asSlice(t.offset() * size, t.numel() * size);
    }

    private static String where(SafetensorsCheckpoint ckpt, String name) {
        return ckpt.fileOf(name).path() + ", tensor \"" + name + "\"";
    }
}
