package dev.qlora4j.train.cli;

/**
 * A problem with what the user gave us (a missing file, a bad option or config value). The CLI
 * prints its message as one line and exits with status 2, without a stack trace.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
