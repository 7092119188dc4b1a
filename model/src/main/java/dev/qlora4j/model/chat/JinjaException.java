package dev.qlora4j.model.chat;

/** A template that does not parse or fails while rendering; {@code line} is the template line (0 when unknown). */
final class JinjaException extends RuntimeException {
    final int line;

    JinjaException(String message, int line) {
        super(message);
        this.line = line;
    }

    /** The message with " at line N" where the line is known. */
    String describe() {
        return line > 0 ? getMessage() + " at line " + line : getMessage();
    }
}
