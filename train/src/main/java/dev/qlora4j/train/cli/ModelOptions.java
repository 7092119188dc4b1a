package dev.qlora4j.train.cli;

import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.Generator;

import java.nio.file.Files;
import java.nio.file.Path;

/** Options the model-running commands (eval, generate, chat) share. */
final class ModelOptions {
    private ModelOptions() {}

    /** {@code --model DIR}, which must be a folder. */
    static Path modelDir(Args args) {
        Path dir = Path.of(TokenizeCommand.required(args, "model"));
        if (!Files.isDirectory(dir)) throw new UserError("no such model folder (" + dir + ")");
        return dir;
    }

    /** {@code --adapter DIR}, a PEFT adapter folder, or null. */
    static Path adapterDir(Args args) {
        String adapter = args.get("adapter", null);
        if (adapter == null) return null;
        Path dir = Path.of(adapter);
        if (!Files.isDirectory(dir)) throw new UserError("no such adapter folder (" + dir + ")");
        return dir;
    }

    /** The model of {@code dir}, with the adapter of {@code --adapter} on it (dropout off) when one is given. */
    static Transformer load(Path dir, Path adapter) {
        Transformer model = Transformer.load(dir);
        if (adapter == null) return model;
        try {
            LoraModel.load(model, adapter, new Generator(0)).setTraining(false);
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** {@code --device cpu|cuda}: only the CPU exists so far. */
    static void checkDevice(Args args) {
        String device = args.get("device", "cpu");
        switch (device) {
            case "cpu" -> { }
            case "cuda" -> throw new UserError("--device cuda is not supported yet: this build runs on the CPU only (--device)");
            default -> throw new UserError("unknown device '" + device + "', expected cpu or cuda (--device)");
        }
    }
}
