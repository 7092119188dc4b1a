package dev.qlora4j.train.cli;

import dev.qlora4j.model.quant.Nf4Checkpoints;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code quantize --model DIR --out DIR [--double-quant] [--blocksize 64]}: a bitsandbytes-layout
 * NF4 checkpoint, as transformers' save_pretrained writes a 4-bit model (loadable there with
 * bitsandbytes installed, and here by every command).
 */
final class QuantizeCommand implements Main.Command {
    @Override
    public String summary() {
        return "write a 4-bit NF4 (bitsandbytes layout) copy of a model folder";
    }

    @Override
    public Set<String> flags() {
        return Set.of("double-quant");
    }

    @Override
    public Set<String> options() {
        return Set.of("model", "out", "blocksize");
    }

    @Override
    public Object run(Args args, PrintStream out) throws Exception {
        Path model = Path.of(TokenizeCommand.required(args, "model")), dest = Path.of(TokenizeCommand.required(args, "out"));
        if (!Files.isDirectory(model)) throw new UserError("no such model folder (" + model + ")");
        int blocksize = args.getInt("blocksize", 64);
        Nf4Checkpoints.Result r = Nf4Checkpoints.quantize(model, dest, args.flag("double-quant"), blocksize);
        out.printf("%,d parameters in %,d bytes: %.4f bits per parameter → %s%n", r.parameters(), r.bytes(), r.bitsPerParam(), dest);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("out", dest.toString());
        result.put("parameters", r.parameters());
        result.put("bytes", r.bytes());
        result.put("bits_per_param", r.bitsPerParam());
        return result;
    }
}
