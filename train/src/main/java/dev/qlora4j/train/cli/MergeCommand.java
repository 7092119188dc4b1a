package dev.qlora4j.train.cli;

import dev.qlora4j.model.lora.LoraMerge;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code merge --model DIR --adapter DIR --out DIR}: a PEFT adapter merged into its base, as a plain HF model folder. */
final class MergeCommand implements Main.Command {
    @Override
    public String summary() {
        return "merge a LoRA adapter into its base model and write a plain Hugging Face model folder";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public Set<String> options() {
        return Set.of("model", "adapter", "out");
    }

    @Override
    public Object run(Args args, PrintStream out) throws Exception {
        Path model = Path.of(TokenizeCommand.required(args, "model")), adapter = Path.of(TokenizeCommand.required(args, "adapter")),
                dest = Path.of(TokenizeCommand.required(args, "out"));
        if (!Files.isDirectory(model)) throw new UserError("no such model folder (" + model + ")");
        if (!Files.isDirectory(adapter)) throw new UserError("no such adapter folder (" + adapter + ")");
        LoraMerge.merge(model, adapter, dest);
        out.println("merged " + adapter + " into " + model + " → " + dest);
        return Map.of("out", dest.toString());
    }
}
