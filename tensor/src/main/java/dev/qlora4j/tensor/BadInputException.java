package dev.qlora4j.tensor;

/**
 * Input from the user that cannot be used: a malformed or inconsistent file, a missing field, a
 * shape that does not fit. The message is one line in the command line's form
 * {@code <what> (<file, tensor or key>)}: the CLI prints it as {@code error: <message>} and exits
 * with status 2, without a stack trace. Every module's loaders throw this (or a subclass) for bad
 * input, never an IndexOutOfBounds, NullPointer or OutOfMemory error.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{@code what} ({@code where})": where is the file, tensor or key the problem is in. */
    public static BadInputException at(String where, String what) {
        return new BadInputException(what + " (" + where + ")");
    }
}
