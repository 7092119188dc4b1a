package dev.qlora4j.model.chat;

/**
 * Python's None inside templates. jinjava uses null for undefined names, and jinja2 tells the two
 * apart: None prints "None" and {@code is none}, an undefined value prints "" and is not none.
 * JSON nulls in messages, {@code tools}/{@code documents} and the names {@code none}/{@code None}
 * therefore stand for this value, never for null.
 */
enum PyNone {
    NONE;

    @Override
    public String toString() {
        return "None";
    }
}
