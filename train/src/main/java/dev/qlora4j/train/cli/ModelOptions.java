package dev.qlora4j.train.cli;

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

    /** {@code --adapter} is in the CLI contract; until adapters can be loaded it is refused rather than ignored. */
    static void rejectAdapter(Args args) {
        String adapter = args.get("adapter", null);
        if (adapter != null)
            throw new UserError("LoRA adapters are not supported yet: run on the base model without --adapter (" + adapter + ")");
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
