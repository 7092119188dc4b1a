package dev.qlora4j.train.cli;

import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import dev.qlora4j.tensor.io.TensorInfo;
import dev.qlora4j.tensor.quant.Nf4StateDict;
import dev.qlora4j.tensor.quant.Nf4Weight;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code inspect PATH}: the tensors of a model folder (single or sharded safetensors) or of one
 * .safetensors file — names, dtypes, shapes, the parameter count — and the config.json summary
 * when the folder has one.
 */
@CommandLine.Command(name = "inspect",
        description = "list the tensors (name, dtype, shape) and parameter count of a model folder or .safetensors file")
final class InspectCommand implements Main.Command {
    @CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "PATH", description = "a model folder or one .safetensors file")
    Path path;

    /**
     * Model parameters a tensor stands for: its elements, except in a bitsandbytes 4-bit
     * checkpoint, where a packed `weight` stands for the [out, in] its quant_state names and the
     * tensors beside it (absmax, code maps, the quant_state JSON) for none.
     */
    private static long parameters(SafetensorsCheckpoint ckpt, String name, TensorInfo info) {
        int dot = name.indexOf(".weight.");
        if (dot >= 0 && Nf4StateDict.isQuantized(ckpt, name.substring(0, dot + ".weight".length()))) return 0;
        if (name.endsWith(".weight") && Nf4StateDict.isQuantized(ckpt, name)) {
            Nf4Weight w = Nf4StateDict.read(ckpt, name);
            return (long) w.rows() * w.cols();
        }
        return info.numel();
    }

    @Override
    public Object run(PrintStream out) throws Exception {
        if (path == null) throw new UserError("inspect takes one path: a model folder or a .safetensors file");
        if (!Files.exists(path)) throw new UserError("no such file or folder (" + path + ")");
        List<Map<String, Object>> tensors = new ArrayList<>();
        long parameters = 0;
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(path)) {
            for (String name : ckpt.names()) {
                TensorInfo info = ckpt.info(name);
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("name", name);
                t.put("dtype", info.fileDtype().name());
                t.put("shape", info.shape());
                tensors.add(t);
                parameters += parameters(ckpt, name, info);
                out.printf("%-60s %-5s %s%n", name, info.fileDtype().name(), Arrays.toString(info.shape()));
            }
        }
        Path configFile = (Files.isDirectory(path) ? path : path.toAbsolutePath().getParent()).resolve("config.json");
        Map<String, Object> config = Files.isRegularFile(configFile) ? ModelConfig.load(configFile).toSummary() : Map.of();
        out.printf("%,d tensors, %,d parameters%n", tensors.size(), parameters);
        config.forEach((k, v) -> out.println(k + ": " + v));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("tensors", tensors);
        result.put("parameters", parameters);
        result.put("config", config);
        return result;
    }
}
