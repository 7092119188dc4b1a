package dev.qlora4j.train.cli;

import dev.qlora4j.tensor.BadInputException;

/**
 * A problem with what the user gave us on the command line (a missing file, a bad option or
 * config value). Like every {@link BadInputException}, the CLI prints its message as one line and
 * exits with status 2, without a stack trace.
 */
public class UserError extends BadInputException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
