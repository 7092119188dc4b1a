package dev.qlora4j.train.cli;

import dev.qlora4j.train.demo.Demo;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code demo}: LoRA fine-tuning of the bundled small model on the bundled Socratic dialogues. */
@CommandLine.Command(name = "demo",
        description = "fine-tune a bundled small model with LoRA on bundled Socratic dialogues (English and Japanese), a few minutes on a CPU")
final class DemoCommand implements Main.Command {
    static final int DEFAULT_STEPS = 600;

    @CommandLine.Option(names = "--steps", paramLabel = "N", description = "training steps (default: ${DEFAULT-VALUE})")
    int steps = DEFAULT_STEPS;

    @CommandLine.Option(names = "--output-dir", paramLabel = "DIR",
            description = "where the run goes; replaced if an earlier demo wrote it (default: ${DEFAULT-VALUE})")
    Path outputDir = Path.of("runs/demo");

    @CommandLine.Option(names = "--seed", paramLabel = "S", description = "the random seed (default: ${DEFAULT-VALUE})")
    int seed = 42;

    @Override
    public Map<String, Object> run(PrintStream out) throws Exception {
        if (steps < 1) throw new UserError("--steps must be at least 1 (got " + steps + ")");
        Demo.Result r = new Demo(steps, seed, outputDir, out).run();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("output_dir", r.outputDir().toString());
        result.put("eval_perplexity_before", r.perplexityBefore());
        result.put("eval_perplexity_after", r.perplexityAfter());
        return result;
    }
}
