package dev.qlora4j.model.chat;

/**
 * Python's None inside templates (JSON null in messages, {@code tools}/{@code documents} when not
 * given, the literals {@code none}/{@code None}); jinja2's undefined value is a different thing
 * ({@link JinjaValues.Undefined}): None prints "None" and {@code is none}, undefined prints "".
 */
enum PyNone {
    NONE;

    @Override
    public String toString() {
        return "None";
    }
}
