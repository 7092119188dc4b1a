package dev.qlora4j.model.chat;

import dev.qlora4j.model.chat.JinjaAst.Stmt;

import java.util.List;
import java.util.Map;

/**
 * A parsed Jinja template, rendered as transformers' sandboxed jinja2 environment renders it.
 * Immutable once parsed: one instance renders on any number of threads.
 */
public final class JinjaTemplate {
    private final List<Stmt> body;

    private JinjaTemplate(List<Stmt> body) {
        this.body = body;
    }

    /** @throws JinjaException with "chat template syntax error: …" and the line */
    static JinjaTemplate parse(String source, String origin) {
        return new JinjaTemplate(JinjaParser.parse(source, origin));
    }

    /**
     * The output; the [start, end) offsets of what generation blocks wrote; and per item of the variable
     * {@code messages}, the [start, end) offsets of what the loop iteration over it wrote (null where no
     * iteration over it wrote anything, or several did).
     */
    public record Rendered(String text, List<int[]> generationSpans, List<int[]> messageSpans) {}

    /**
     * @param variables the template's variables (JSON-like Java values; they are copied)
     * @throws JinjaException when the template fails ({@link JinjaBuiltins.Raised} for raise_exception)
     */
    Rendered render(Map<String, ?> variables) {
        return render(variables, null);
    }

    /** As {@link #render(Map)} with strftime_now reading {@code now} instead of the clock (null: the clock). */
    Rendered render(Map<String, ?> variables, java.time.ZonedDateTime now) {
        JinjaRenderer.Frame globals = new JinjaRenderer.Frame(null);
        globals.vars.putAll(JinjaBuiltins.globals());
        if (now != null) globals.vars.put("strftime_now", JinjaBuiltins.strftimeNow(now));
        JinjaRenderer.Frame top = new JinjaRenderer.Frame(globals);
        for (Map.Entry<String, ?> e : variables.entrySet()) top.vars.put(e.getKey(), JinjaValues.fromJava(e.getValue()));
        JinjaRenderer r = new JinjaRenderer();
        if (top.vars.get("messages") instanceof List<?> messages) r.trackMessages(messages);
        r.render(body, top);
        return new Rendered(r.output(), List.copyOf(r.generationSpans), r.messageSpans());
    }
}
