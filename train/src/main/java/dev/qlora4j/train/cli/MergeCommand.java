package dev.qlora4j.train.cli;

import dev.qlora4j.model.lora.LoraMerge;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** {@code merge --model DIR --adapter DIR --out DIR}: a PEFT adapter merged into its base, as a plain HF model folder. */
@CommandLine.Command(name = "merge", description = "merge a LoRA adapter into its base model and write a plain Hugging Face model folder")
final class MergeCommand implements Main.Command {
    @CommandLine.Option(names = "--model", required = true, paramLabel = "DIR", description = "the base model folder")
    Path model;

    @CommandLine.Option(names = "--adapter", required = true, paramLabel = "DIR",
            description = "the PEFT adapter folder (adapter_config.json, adapter_model.safetensors)")
    Path adapter;

    @CommandLine.Option(names = "--out", required = true, paramLabel = "DIR", description = "where the merged model folder goes")
    Path dest;

    @Override
    public Object run(PrintStream out) throws Exception {
        if (!Files.isDirectory(model)) throw new UserError("no such model folder (" + model + ")");
        if (!Files.isDirectory(adapter)) throw new UserError("no such adapter folder (" + adapter + ")");
        LoraMerge.merge(model, adapter, dest);
        out.println("merged " + adapter + " into " + model + " → " + dest);
        return Map.of("out", dest.toString());
    }
}
