package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.BadInputException;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code train.jar <command> [options]}: the command line described in docs/CLI.md. With
 * {@code --json} the last line on stdout is one JSON object with the result and people-facing
 * output goes to stderr. Exit status: 0 success, 2 user error (one line on stderr), 1 internal
 * failure.
 */
public final class Main {
    /** One subcommand. {@code out} is where people-facing progress goes. */
    interface Command {
        String summary();

        Set<String> flags();

        Set<String> options();

        /** Positional arguments the command takes (inspect's path, train's config file); more is an error. */
        default int maxPositional() {
            return 0;
        }

        /**
         * Runs the command and returns its {@code --json} result: a map (one JSON object, the
         * last line of stdout) or {@link JsonLines} (one object per line, for per-input results).
         */
        Object run(Args args, PrintStream out) throws Exception;

        /** The same for commands that read the user's input (chat): {@code in} is standard input. */
        default Object run(Args args, PrintStream out, InputStream in) throws Exception {
            return run(args, out);
        }
    }

    /** A result of several JSON objects, printed one a line in order. */
    record JsonLines(List<Map<String, Object>> lines) {}

    private static final Map<String, Command> COMMANDS = new TreeMap<>(Map.of(
            "chat", new ChatCommand(),
            "demo", new DemoCommand(),
            "eval", new EvalCommand(),
            "generate", new GenerateCommand(),
            "inspect", new InspectCommand(),
            "merge", new MergeCommand(),
            "predict", new PredictCommand(),
            "quantize", new QuantizeCommand(),
            "tokenize", new TokenizeCommand(),
            "train", new TrainCommand()));

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    public static int run(String[] argv, PrintStream stdout, PrintStream stderr) {
        return run(argv, System.in, stdout, stderr);
    }

    /** Runs one command line with the given standard streams; returns the exit status. */
    public static int run(String[] argv, InputStream stdin, PrintStream stdout, PrintStream stderr) {
        List<String> args = Arrays.asList(argv);
        boolean debug = args.contains("--debug");
        boolean json = args.contains("--json");
        if (args.isEmpty() || args.getFirst().equals("--help") || args.getFirst().equals("help")) {
            usage(stdout);
            return 0;
        }
        Command command = COMMANDS.get(args.getFirst());
        if (command == null) {
            stderr.println("error: unknown command '" + args.getFirst() + "' (commands: " + String.join(", ", COMMANDS.keySet()) + ")");
            return 2;
        }
        try {
            Set<String> flags = new java.util.HashSet<>(command.flags());
            flags.add("json");
            flags.add("debug");
            Args parsed = Args.parse(args.subList(1, args.size()), flags, command.options());
            if (parsed.positional().size() > command.maxPositional())
                throw new UserError(command.maxPositional() == 0
                        ? args.getFirst() + " takes no positional arguments (got " + String.join(", ", parsed.positional()) + ")"
                        : args.getFirst() + " takes at most " + command.maxPositional() + " positional argument (got "
                        + String.join(", ", parsed.positional()) + ")");
            Object result = command.run(parsed, json ? stderr : stdout, stdin);
            if (json && result != null) {   // null: a rank other than 0 of a distributed run, which prints nothing
                ObjectMapper mapper = new ObjectMapper();
                if (result instanceof JsonLines lines) for (Object line : lines.lines()) stdout.println(mapper.writeValueAsString(line));
                else stdout.println(mapper.writeValueAsString(result));
            }
            return 0;
        } catch (dev.qlora4j.train.dist.RankFailure f) {
            // one rank of a distributed run: its line names the rank; then MPI_Finalize or, where the others cannot know, MPI_Abort
            Throwable cause = f.getCause() == null ? f : f.getCause();
            int status = f.getCause() == null ? 2 : status(cause);
            if (f.shown()) {
                report(cause, f.label() + ": ", stderr, debug);
                stderr.flush();
            }
            f.end(status);
            return status;
        } catch (Exception | Error e) {
            report(e, "", stderr, debug);
            return status(e);
        }
    }

    /** Exit status: 2 for the user's mistakes (input, GPU memory, no usable device), 1 for collectives that failed and for bugs. */
    private static int status(Throwable e) {
        return e instanceof BadInputException || e instanceof dev.qlora4j.accel.CudaOutOfMemoryException
                || e instanceof dev.qlora4j.train.compute.Compute.DeviceUnavailable ? 2 : 1;
    }

    /** The one line of an error ({@code who}: "rank 1 of 2: " in a distributed run), with the stack trace under --debug. */
    private static void report(Throwable e, String who, PrintStream stderr, boolean debug) {
        if (e instanceof BadInputException) stderr.println("error: " + who + e.getMessage());
        else if (e instanceof dev.qlora4j.accel.CudaOutOfMemoryException)
            stderr.println("error: " + who + e.getMessage() + " (lower per_device_train_batch_size or max_length, or set gradient_checkpointing)");
        else if (e instanceof dev.qlora4j.train.compute.Compute.DeviceUnavailable) stderr.println("error: " + who + "device: cuda: " + e.getMessage());
        else if (e instanceof dev.qlora4j.train.dist.DistributedException || e instanceof dev.qlora4j.accel.CollectiveTimeoutException)
            stderr.println("error: " + who + e.getMessage());
        else {
            stderr.println("internal error: " + who + e);
            if (!debug) stderr.println("(run again with --debug for the stack trace)");
        }
        if (debug) e.printStackTrace(stderr);
    }

    private static void usage(PrintStream out) {
        out.println("usage: java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar train.jar <command> [options]");
        out.println("commands:");
        COMMANDS.forEach((name, c) -> out.printf("  %-10s %s%n", name, c.summary()));
        out.println("common options: --json (result as JSON on the last stdout line), --debug (stack traces)");
    }
}
