package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.tensor.BadInputException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code train.jar <command> [options]}: the command line described in docs/CLI.md, parsed by
 * picocli. Each command is a picocli command object whose {@code @Option} fields picocli sets;
 * {@link #run} then runs it. With {@code --json} the last line on stdout is one JSON object with
 * the result and people-facing output goes to stderr. Exit status: 0 success (and
 * {@code --help}, {@code --version}), 2 user error (one line {@code error: ...} on stderr, picocli's
 * own parse errors included, see {@link ParseErrors}), 1 internal failure.
 */
public final class Main {
    private Main() {}

    /**
     * One subcommand: a class annotated with picocli's {@code @Command} (its name and one-line
     * description) whose {@code @Option} and {@code @Parameters} fields are set before it runs.
     * {@link Main} adds {@link CommonOptions} to each, and refuses more positional arguments than
     * the command declares. {@code out} is where people-facing progress goes.
     */
    interface Command {
        /**
         * Runs the command and returns its {@code --json} result: a map (one JSON object, the
         * last line of stdout) or {@link JsonLines} (one object per line, for per-input results);
         * null prints nothing (a rank other than 0 of a distributed run).
         */
        Object run(PrintStream out) throws Exception;

        /** The same for commands that read the user's input (chat): {@code in} is standard input. */
        default Object run(PrintStream out, InputStream in) throws Exception {
            return run(out);
        }
    }

    /** A result of several JSON objects, printed one a line in order. */
    record JsonLines(List<Map<String, Object>> lines) {}

    /** The commands, made anew for every command line: picocli writes the options into them. */
    private static List<Command> commands() {
        return List.of(new ChatCommand(), new DemoCommand(), new EvalCommand(), new GenerateCommand(), new InspectCommand(),
                new MergeCommand(), new PredictCommand(), new QuantizeCommand(), new TokenizeCommand(), new TrainCommand());
    }

    /** The name under which {@link CommonOptions} is mixed into every command. */
    private static final String COMMON = "common";

    @CommandLine.Command(name = "train.jar", mixinStandardHelpOptions = true, versionProvider = Version.class,
            customSynopsis = "train.jar <command> [options]",
            description = {"LoRA and QLoRA fine-tuning of Hugging Face language models in plain Java.",
                    "Run it as (or as ./qlora4j <command> [options] in a checkout):",
                    "  java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \\",
                    "       -jar train.jar <command> [options]"},
            descriptionHeading = "%n", optionListHeading = "%nOptions:%n", commandListHeading = "%nCommands:%n",
            footer = {"", "Every command also takes --json (people-facing output to stderr, the result as",
                    "JSON on the last stdout line), --debug (stack traces) and --help (its usage and",
                    "options). `--` ends the options: what follows is positional.",
                    "`train.jar help <command>` is the same as `train.jar <command> --help`."})
    private static final class TopLevel {}

    @CommandLine.Command(name = "help", description = "show the usage of train.jar, or of one command",
            descriptionHeading = "%n", parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n")
    private static final class HelpCommand {
        @CommandLine.Parameters(arity = "0..1", paramLabel = "COMMAND", description = "the command whose usage to show")
        String command;

        @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this command's usage, and exit")
        boolean help;
    }

    /** {@code --version}: the project version, which the build writes into version.properties. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"qlora4j " + version()};
        }

        static String version() {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in == null) throw new IllegalStateException("version.properties is missing from the class path");
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return p.getProperty("version");
        }
    }

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
        PrintWriter usageOut = new PrintWriter(stdout, true);
        CommandLine cli = commandLine(usageOut, stderr);
        ParseResult parsed;
        try {
            parsed = cli.parseArgs(argv);
            // --help or --version anywhere (top level or a command): usage or version on stdout
            if (CommandLine.printHelpIfRequested(parsed)) {
                usageOut.flush();
                return 0;
            }
        } catch (ParameterException e) {
            stderr.println("error: " + ParseErrors.message(e, commandNames(cli)));
            return 2;
        }
        if (!parsed.hasSubcommand()) {
            cli.usage(usageOut);
            usageOut.flush();
            return 0;
        }
        ParseResult sub = parsed.subcommand();
        if (sub.commandSpec().userObject() instanceof HelpCommand help) return help(cli, help.command, usageOut, stderr);
        Command command = (Command) sub.commandSpec().userObject();
        CommonOptions common = (CommonOptions) sub.commandSpec().mixins().get(COMMON).userObject();
        try {
            checkPositional(sub);
            Object result = command.run(common.json ? stderr : stdout, stdin);
            if (common.json && result != null) {   // null: a rank other than 0 of a distributed run, which prints nothing
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
                report(cause, f.label() + ": ", stderr, common.debug);
                stderr.flush();
            }
            f.end(status);
            return status;
        } catch (Exception | Error e) {
            report(e, "", stderr, common.debug);
            return status(e);
        }
    }

    /**
     * The picocli command line of one run: the commands with {@link CommonOptions} and a hidden
     * catch-all for positional arguments beyond those each declares (so that {@code demo now} is
     * reported as a stray argument, also after {@code --}, rather than as an unknown option).
     * Parser settings keep the contract's conventions (see the comments); they apply to every
     * command, so they are set after the commands are added.
     */
    private static CommandLine commandLine(PrintWriter out, PrintStream err) {
        CommandLine cli = new CommandLine(new TopLevel());
        for (Command command : commands()) {
            CommandLine sub = new CommandLine(command);
            CommandSpec spec = sub.getCommandSpec();
            spec.addMixin(COMMON, CommandSpec.forAnnotatedObject(new CommonOptions()));
            spec.usageMessage().descriptionHeading("%n").optionListHeading("%nOptions:%n");
            if (!spec.positionalParameters().isEmpty()) spec.usageMessage().parameterListHeading("%nArguments:%n");
            spec.addPositional(PositionalParamSpec.builder()
                    .index(spec.positionalParameters().size() + "..*").arity("0..*").hidden(true).paramLabel("ARG")
                    .type(List.class).auxiliaryTypes(String.class).build());
            cli.addSubcommand(sub);
        }
        cli.addSubcommand(new HelpCommand());
        cli.setExpandAtFiles(false)                  // "@notes" is an argument, not a file of arguments
                .setOverwrittenOptionsAllowed(true)  // a single-valued option given twice: the last one counts
                .setAllowOptionsAsOptionParameters(true)   // tokenize --text --json: the text is "--json"
                .setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
                .registerConverter(Double.class, ParseErrors::finiteDouble)
                .registerConverter(Double.TYPE, ParseErrors::finiteDouble)
                .setOut(out)
                .setErr(new PrintWriter(err, true));
        return cli;
    }

    /** The names of the commands (not {@code help}), for the unknown-command message. */
    private static List<String> commandNames(CommandLine cli) {
        return cli.getSubcommands().entrySet().stream()
                .filter(e -> e.getValue().getCommand() instanceof Command)
                .map(Map.Entry::getKey).sorted().toList();
    }

    /** {@code help [COMMAND]}: the top-level usage, or the command's. */
    private static int help(CommandLine cli, String name, PrintWriter out, PrintStream stderr) {
        CommandLine target = name == null ? cli : cli.getSubcommands().get(name);
        if (target == null) {
            stderr.println("error: " + ParseErrors.unknownCommand(name, commandNames(cli)));
            return 2;
        }
        target.usage(out);
        out.flush();
        return 0;
    }

    /** More positional arguments than the command declares (they land in the hidden catch-all) are an error. */
    private static void checkPositional(ParseResult sub) {
        List<PositionalParamSpec> declared = sub.commandSpec().positionalParameters().stream().filter(p -> !p.hidden()).toList();
        int max = declared.stream().mapToInt(p -> p.arity().max()).sum();
        List<String> given = sub.matchedPositionals().stream().flatMap(p -> p.originalStringValues().stream()).toList();
        if (given.size() <= max) return;
        String name = sub.commandSpec().name();
        throw new UserError(max == 0
                ? name + " takes no positional arguments (got " + String.join(", ", given) + ")"
                : name + " takes at most " + max + " positional argument" + (max == 1 ? "" : "s") + " (got " + String.join(", ", given) + ")");
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
}
