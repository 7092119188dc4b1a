package dev.qlora4j.train.cli;

import dev.qlora4j.train.demo.Demo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code demo}: LoRA fine-tuning of the bundled small model on the bundled Socratic dialogues. */
final class DemoCommand implements Main.Command {
    static final int DEFAULT_STEPS = 600;

    @Override
    public String summary() {
        return "fine-tune a bundled small model with LoRA on bundled Socratic dialogues (English and Japanese), a few minutes on a CPU";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public Set<String> options() {
        return Set.of("steps", "output-dir", "seed");
    }

    @Override
    public Map<String, Object> run(Args args, PrintStream out) throws Exception {
        int steps = args.getInt("steps", DEFAULT_STEPS);
        if (steps < 1) throw new UserError("--steps must be at least 1 (got " + steps + ")");
        Path dir = Path.of(args.get("output-dir", "runs/demo"));
        Demo.Result r = new Demo(steps, args.getInt("seed", 42), dir, out).run();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("output_dir", r.outputDir().toString());
        result.put("eval_perplexity_before", r.perplexityBefore());
        result.put("eval_perplexity_after", r.perplexityAfter());
        return result;
    }
}
