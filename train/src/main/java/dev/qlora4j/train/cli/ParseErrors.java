package dev.qlora4j.train.cli;

import picocli.CommandLine.MaxValuesExceededException;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * picocli's parse errors as the one-line messages of the command line's contract (what follows
 * {@code error: }): {@code unknown option --foo}, {@code option --model needs a value},
 * {@code missing required option --out}, {@code option --steps wants an integer, got 'many'},
 * {@code option --json takes no value (--json=true)}, and at the top level
 * {@code unknown command 'x' (commands: ...)}. Anything else keeps picocli's own message. Two cases
 * are told apart only by picocli's wording (4.7.7): a required option left out, and a flag given a
 * value; CommandLineTest pins both, so an upgrade that rewords them shows there.
 */
final class ParseErrors {
    private ParseErrors() {}

    private static final Set<Class<?>> INTEGERS = Set.of(int.class, Integer.class, long.class, Long.class, short.class, Short.class,
            byte.class, Byte.class);
    private static final Set<Class<?>> NUMBERS = Set.of(double.class, Double.class, float.class, Float.class);
    /** What picocli says of {@code --flag=value} for an option that takes no value. */
    private static final Pattern FLAG_WITH_VALUE = Pattern.compile("option '([^']+)' should be specified without '(.*)' parameter",
            Pattern.DOTALL);

    /** @param commands the command names, for an unknown command */
    static String message(ParameterException e, List<String> commands) {
        boolean topLevel = e.getCommandLine().getParent() == null;
        // an unknown option (or command) comes first, also when picocli found a missing required option before saying so
        ParseResult partial = e.getCommandLine().getParseResult();
        List<String> unmatched = e instanceof UnmatchedArgumentException u ? u.getUnmatched()
                : partial != null ? partial.unmatched() : List.of();
        if (!unmatched.isEmpty()) {
            String first = unmatched.getFirst();
            if (topLevel) return unknownCommand(first, commands);
            // every command takes any number of positional arguments (Main counts them), so only options are left over
            int eq = first.indexOf('=');
            return "unknown option " + (eq > 0 ? first.substring(0, eq) : first);
        }
        if (e instanceof MissingParameterException m && !m.getMissing().isEmpty()) {
            List<String> names = m.getMissing().stream().map(ParseErrors::name).toList();
            // picocli raises the same exception for a required option left out and for an option at the end without its value
            if (e.getMessage().startsWith("Missing required option"))
                return (names.size() == 1 ? "missing required option " : "missing required options ") + String.join(", ", names);
            return "option " + names.getFirst() + " needs a value";
        }
        if (e instanceof MaxValuesExceededException) {
            Matcher flag = FLAG_WITH_VALUE.matcher(e.getMessage());
            if (flag.matches()) return "option " + flag.group(1) + " takes no value (" + flag.group(1) + "=" + flag.group(2) + ")";
        }
        if (e.getArgSpec() instanceof OptionSpec option && e.getValue() != null && e.getCause() != null) {
            Class<?> type = option.type();
            if (INTEGERS.contains(type)) return "option " + option.longestName() + " wants an integer, got '" + e.getValue() + "'";
            if (NUMBERS.contains(type)) return "option " + option.longestName() + " wants a number, got '" + e.getValue() + "'";
            return "option " + option.longestName() + " cannot take '" + e.getValue() + "' (" + e.getCause().getMessage() + ")";
        }
        return e.getMessage();
    }

    static String unknownCommand(String name, List<String> commands) {
        return "unknown command '" + name + "' (commands: " + String.join(", ", commands) + ")";
    }

    /** A finite number (picocli's own converter takes NaN and Infinity). */
    static Double finiteDouble(String value) {
        try {
            double d = Double.parseDouble(value);
            if (Double.isFinite(d)) return d;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new TypeConversionException("'" + value + "' is not a finite number");
    }

    private static String name(ArgSpec arg) {
        return arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel();
    }
}
