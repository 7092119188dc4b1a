package dev.qlora4j.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * jinja2 tests whose jinjava versions differ: in Python a string is iterable and a sequence (Llama
 * 3.1's template relies on {@code content is iterable} being true for text), and so is a dict;
 * only None is none (an undefined value is not); a bool is a number.
 */
final class PyTests {
    private PyTests() {}

    static List<ExpTest> all() {
        return List.of(test("iterable", PyTests::iterable), test("sequence", PyTests::iterable),
                test("none", v -> v == PyNone.NONE), test("number", v -> v instanceof Number || v instanceof Boolean));
    }

    /** iter(x) works: strings, lists, tuples and dicts. */
    private static boolean iterable(Object v) {
        return v instanceof CharSequence || v instanceof Iterable<?> || v instanceof Map<?, ?> || v instanceof Object[]
                || v instanceof Collection<?>;
    }

    private interface Predicate {
        boolean test(Object v);
    }

    private static ExpTest test(String name, Predicate p) {
        return new ExpTest() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
                return p.test(var);
            }
        };
    }
}
