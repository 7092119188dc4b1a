package dev.qlora4j.train.cli;

import dev.qlora4j.train.config.Modes;
import dev.qlora4j.train.compute.Compute;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.Generator;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** Options the model-running commands (eval, predict, generate, chat) share, mixed into each. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "the model folder (config.json, *.safetensors, tokenizer files)")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT adapter folder (ours or Python's), applied on the model")
    Path adapter;

    @Option(names = "--device", paramLabel = "cpu|cuda", description = "where the model runs (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    /** {@code --model DIR}, which must be a folder. */
    Path modelDir() {
        if (!Files.isDirectory(model)) throw new UserError("no such model folder (" + model + ")");
        return model;
    }

    /** {@code --adapter DIR}, a PEFT adapter folder, or null. */
    Path adapterDir() {
        if (adapter == null) return null;
        if (!Files.isDirectory(adapter)) throw new UserError("no such adapter folder (" + adapter + ")");
        return adapter;
    }

    /** {@code --device cpu|cuda} (default cpu). */
    String device() {
        if (!device.equals("cpu") && !device.equals("cuda"))
            throw new UserError("unknown device '" + device + "', expected cpu or cuda (--device)");
        return device;
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

    /** Where the model runs: the CPU, or the GPU (a clear error when there is none). */
    static Compute compute(String device, Transformer model) {
        try {
            return Compute.of(device.equals("cuda") ? Modes.Device.CUDA : Modes.Device.CPU, model, null);
        } catch (Compute.DeviceUnavailable e) {
            throw new UserError("--device cuda: " + e.getMessage());
        }
    }
}
