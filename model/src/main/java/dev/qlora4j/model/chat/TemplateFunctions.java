package dev.qlora4j.model.chat;

import java.time.ZonedDateTime;

/** The globals transformers adds to the template environment, as static methods jinjava can call. */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** A template's {@code raise_exception(message)}: the error transformers raises as TemplateError. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message);
        }
    }

    public static Object raiseException(Object message) {
        throw new Raised(PyValues.str(message));
    }

    /** {@code strftime_now(format)}: datetime.now().strftime(format), in local time. */
    public static String strftimeNow(Object format) {
        return Strftime.format(PyValues.str(format), ZonedDateTime.now());
    }
}
