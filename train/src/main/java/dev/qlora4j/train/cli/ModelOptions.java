package dev.qlora4j.train.cli;

import dev.qlora4j.train.config.Modes;
import dev.qlora4j.train.compute.Compute;
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

    /** {@code --device cpu|cuda} (default cpu). */
    static String device(Args args) {
        String device = args.get("device", "cpu");
        if (!device.equals("cpu") && !device.equals("cuda"))
            throw new UserError("unknown device '" + device + "', expected cpu or cuda (--device)");
        return device;
    }

    /** Where the model runs: the CPU, or the GPU (a clear error when there is none). */
    static Compute compute(String device, Transformer model) {
        try {
            return Compute.of(device.equals("cuda") ? Modes.Device.CUDA : Modes.Device.CPU, model, null);
        } catch (Compute.DeviceUnavailable e) {
            throw new UserError("--device cuda: " + e.getMessage());
        }
    }
}
