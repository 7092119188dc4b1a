package dev.qlora4j.train.cli;

import dev.qlora4j.model.quant.Nf4Checkpoints;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code quantize --model DIR --out DIR [--double-quant] [--blocksize 64]}: a bitsandbytes-layout
 * NF4 checkpoint, as transformers' save_pretrained writes a 4-bit model (loadable there with
 * bitsandbytes installed, and here by every command).
 */
@CommandLine.Command(name = "quantize", description = "write a 4-bit NF4 (bitsandbytes layout) copy of a model folder")
final class QuantizeCommand implements Main.Command {
    @CommandLine.Option(names = "--model", required = true, paramLabel = "DIR", description = "the model folder to quantize")
    Path model;

    @CommandLine.Option(names = "--out", required = true, paramLabel = "DIR", description = "where the 4-bit model folder goes")
    Path dest;

    @CommandLine.Option(names = "--double-quant", arity = "0", description = "quantize the block scales too (bnb_4bit_use_double_quant)")
    boolean doubleQuant;

    @CommandLine.Option(names = "--blocksize", paramLabel = "N", description = "weights per block scale (default: ${DEFAULT-VALUE})")
    int blocksize = 64;

    @Override
    public Object run(PrintStream out) throws Exception {
        if (!Files.isDirectory(model)) throw new UserError("no such model folder (" + model + ")");
        Nf4Checkpoints.Result r = Nf4Checkpoints.quantize(model, dest, doubleQuant, blocksize);
        out.printf("%,d parameters in %,d bytes: %.4f bits per parameter → %s%n", r.parameters(), r.bytes(), r.bitsPerParam(), dest);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("out", dest.toString());
        result.put("parameters", r.parameters());
        result.put("bytes", r.bytes());
        result.put("bits_per_param", r.bitsPerParam());
        return result;
    }
}
