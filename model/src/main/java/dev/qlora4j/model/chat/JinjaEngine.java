package dev.qlora4j.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.qlora4j.tensor.BadInputException;
import jinjava.javax.el.CompositeELResolver;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * jinjava set up to render chat templates as transformers' jinja2 environment does
 * (ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, loop controls, its tojson,
 * raise_exception and strftime_now; the whitespace rules are applied by {@link Jinja2Whitespace}
 * before jinjava sees the template). One instance per thread: a render updates bookkeeping sets
 * of the instance's global context, which are not thread-safe.
 */
final class JinjaEngine {
    private static final ThreadLocal<Jinjava> JINJAVA = ThreadLocal.withInitial(JinjaEngine::create);

    private JinjaEngine() {}

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        // trim_blocks and lstrip_blocks are applied beforehand by Jinja2Whitespace
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // message text containing "{{" must be printed, not rendered again
                .withNestedInterpretationEnabled(false)
                .withLocale(Locale.ENGLISH)
                .withElResolver(resolver)
                .withInterperterFactory(new PyInterpreter.Factory())
                .withMaxOutputSize(256L << 20)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        // jinja2 semantics where jinjava keeps its old behaviour by default:
                        .withIterateOverMapKeys(true)                    // for k in dict → keys
                        .withEvaluateMapKeys(true)                       // {x: 1} uses variable x
                        .withKeepNullableLoopValues(true)                // None items stay in loops
                        .withUseNaturalOperatorPrecedence(true)          // filters bind tighter than * / + ...
                        // whitespace markers are gone by now; the lenient parser would take
                        // the minus of {{ -3 }} for one
                        .withParseWhitespaceControlStrictly(true)
                        .build())
                .build();
        Jinjava jinjava = new PyJinjava(config);
        var globals = jinjava.getGlobalContext();
        for (Filter f : PyFilters.all()) globals.registerFilter(f);
        for (ExpTest t : PyTests.all()) globals.registerExpTest(t);
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", Object.class));
        globals.registerTag(new GenerationTag());
        globals.registerTag(new PyIfTag());
        globals.registerTag(new PyForTag());
        return jinjava;
    }

    /**
     * The template as jinjava should see it: jinja2's lexer turns \r\n and \r into \n, drops one
     * trailing newline (keep_trailing_newline is off) and applies the whitespace rules.
     */
    static String prepare(String source, String origin) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        return Jinja2Whitespace.apply(s, origin);
    }

    /**
     * Names every template sees. jinja2 globals are variables too: templates test
     * {@code strftime_now is defined} before calling it, so stand-ins make such tests true (calls go
     * to the registered functions). {@code none} is jinja2's None literal, which jinjava would treat
     * as an undefined name.
     */
    static final Map<String, Object> GLOBALS = Map.of(
            "raise_exception", "<function raise_exception>", "strftime_now", "<function strftime_now>",
            "none", PyNone.NONE, "None", PyNone.NONE);

    /** Parses {@code source} and fails with the first syntax error jinjava finds before rendering. */
    static void checkSyntax(String source, String origin) {
        JinjavaInterpreter interpreter = JINJAVA.get().newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(source);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        TemplateError e = firstFailure(interpreter.getErrors());
        if (e != null) throw BadInputException.at(origin, "chat template syntax error: " + describe(e));
    }

    static String render(String source, Map<String, Object> variables, String origin) {
        RenderResult result = JINJAVA.get().renderForResult(source, variables);
        TemplateError e = firstFailure(result.getErrors());
        if (e != null) throw BadInputException.at(origin, "chat template failed: " + describe(e));
        return result.getOutput();
    }

    /**
     * jinja2 stops at the first exception; jinjava records errors and renders on. A fatal error,
     * or a syntax warning (a stray end tag, which jinja2 refuses to compile), fails the render;
     * other warnings stand for what jinja2 treats as undefined values.
     */
    private static TemplateError firstFailure(List<TemplateError> errors) {
        for (TemplateError e : errors)
            if (e.getSeverity() == TemplateError.ErrorType.FATAL || e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR)
                return e;
        return null;
    }

    /**
     * The template's own raise_exception message; for a Python-semantics error raised by our
     * operators and filters (TypeError-like), its message; else jinjava's. On one line, with the
     * template line where jinjava knows it.
     */
    private static String describe(TemplateError e) {
        Throwable root = null;
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateFunctions.Raised r) return r.getMessage();
            root = t;
        }
        String message = root instanceof IllegalArgumentException || root instanceof ArithmeticException
                ? root.getMessage() : e.getMessage();
        if (message == null) message = e.getReason().toString();
        int cut = message.indexOf('\n');
        if (cut >= 0) message = message.substring(0, cut);
        message = message.strip();
        return e.getLineno() > 0 ? message + " at line " + e.getLineno() : message;
    }
}
