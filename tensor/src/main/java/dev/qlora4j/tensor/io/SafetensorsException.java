package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.BadInputException;

import java.nio.file.Path;

/**
 * A safetensors file, shard index or checkpoint folder that cannot be used. The message is one line,
 * {@code <what is wrong> (<file>[, tensor <name>])}; names and paths from the file are escaped and
 * shortened so that a hostile header cannot break the line or flood the terminal.
 */
public final class SafetensorsException extends BadInputException {
    private static final long serialVersionUID = 1L;
    private static final int MAX_NAME_CHARS = 200;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{@code what} ({@code file})". */
    public static SafetensorsException in(Path file, String what) {
        return new SafetensorsException(what + " (" + printable(String.valueOf(file)) + ")");
    }

    /** "{@code what} ({@code file}, tensor "{@code name}")". */
    public static SafetensorsException inTensor(Path file, String tensor, String what) {
        return new SafetensorsException(what + " (" + printable(String.valueOf(file)) + ", tensor " + quoted(tensor) + ")");
    }

    /** A name from a file in double quotes, control characters escaped, long names cut. */
    static String quoted(String name) {
        return "\"" + printable(name) + "\"";
    }

    /** Escapes line breaks and other control characters and cuts the text to a readable length. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_NAME_CHARS) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= MAX_NAME_CHARS) {
                b.append("...");
                break;
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
