package dev.qlora4j.train.cli;

import picocli.CommandLine.Option;

/** The options every command takes; {@link Main} adds them to each command as a picocli mixin. */
final class CommonOptions {
    @Option(names = "--json", arity = "0",
            description = "people-facing output to stderr; the result as one JSON object on the last stdout line")
    boolean json;

    @Option(names = "--debug", arity = "0", description = "print the stack trace of an error")
    boolean debug;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this command's usage and options, and exit")
    boolean help;
}
