package dev.qlora4j.train.cli;

import dev.qlora4j.tensor.Generator;
import dev.qlora4j.train.demo.Demo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code demo}: trains a small transformer built in the engine on built-in text. */
final class DemoCommand implements Main.Command {
    @Override
    public String summary() {
        return "train a small character-level transformer on built-in text, printing the loss per step";
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
        int steps = args.getInt("steps", 80);
        if (steps < 1) throw new UserError("--steps must be at least 1 (got " + steps + ")");
        Path dir = Path.of(args.get("output-dir", "runs/demo"));
        Demo.Result r = new Demo(new Generator(args.getInt("seed", 42)), steps, dir, out).run();
        return Map.of("output_dir", r.outputDir().toString(),
                "eval_perplexity_before", r.perplexityBefore(),
                "eval_perplexity_after", r.perplexityAfter());
    }
}
