package dev.qlora4j.model.chat;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.StringConcatOperator;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstBracket;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstMethod;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstProperty;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.ELContext;

/**
 * jinjava's expression parser with jinja2's grammar where they differ:
 * <ul>
 *   <li>{@code not} binds looser than comparisons, tests and filters: {@code not x|length == 1} is
 *       {@code not ((x|length) == 1)} and {@code not x is defined} is {@code not (x is defined)}
 *       (jinjava negates the operand first);</li>
 *   <li>{@code and} returns an operand, as Python's does ({@code 'a' and 'b'} is 'b');</li>
 *   <li>{@code ==} and {@code !=} compare as Python does (no coercion between str and int);</li>
 *   <li>{@code +} adds numbers and joins two strings or two lists, and refuses str + int;</li>
 *   <li>{@code ~} concatenates Python str() forms (True, not true), {@code *} repeats strings and
 *       lists, {@code %} formats strings and takes the divisor's sign;</li>
 *   <li>an attribute or item of an undefined value is an error, not undefined again;</li>
 *   <li>string literals take Python's escapes (\\uXXXX, \\xXX, \\a, \\v, octal; unknown ones stay).</li>
 * </ul>
 */
final class PyParser extends ExtendedParser {
    PyParser(Builder context, String input) {
        super(context, input);
        putExtensionHandler(StringConcatOperator.TOKEN, new ExtensionHandler(ExtensionPoint.ADD) {
            @Override
            public AstNode createAstNode(AstNode... children) {
                return new AstBinary(children[0], children[1], PyOperators.CONCAT);
            }
        });
    }

    /** Builds {@link PyParser}s; the features are the ones jinjava's own factory enables. */
    static final class SyntaxBuilder extends ExtendedSyntaxBuilder {
        SyntaxBuilder() {
            super(Feature.METHOD_INVOCATIONS, Feature.VARARGS);
        }

        @Override
        protected Parser createParser(String expression) {
            return new PyParser(this, expression);
        }
    }

    @Override
    protected Scanner createScanner(String expression) {
        return new PyScanner(expression);
    }

    @Override
    protected AstNode and(boolean required) throws Scanner.ScanException, ParseException {
        AstNode v = not(required);
        if (v == null) return null;
        while (true) {
            switch (getToken().getSymbol()) {
                case AND -> {
                    consumeToken();
                    v = createAstBinary(v, not(true), PyOperators.AND);
                }
                case EXTENSION -> {
                    if (getExtensionHandler(getToken()).getExtensionPoint() != ExtensionPoint.AND) return v;
                    v = getExtensionHandler(consumeToken()).createAstNode(v, not(true));
                }
                default -> {
                    return v;
                }
            }
        }
    }

    /** jinja2's parse_not: "not" applies to a whole comparison. */
    private AstNode not(boolean required) throws Scanner.ScanException, ParseException {
        if (getToken().getSymbol() == Scanner.Symbol.NOT) {
            consumeToken();
            return createAstUnary(not(true), AstUnary.NOT);
        }
        return eq(required);
    }

    @Override
    protected AstDot createAstDot(AstNode base, String property, boolean lvalue) {
        // filters and tests are looked up through dots on internal names "filter:trim", "exptest:none"
        if (base instanceof AstIdentifier id && (id.getName().startsWith(FILTER_PREFIX) || id.getName().startsWith(EXPTEST_PREFIX)))
            return new LookupDot(id, property, lvalue);
        return new StrictDot(base, property, lvalue);
    }

    @Override
    protected AstBracket createAstBracket(AstNode base, AstNode property, boolean lvalue, boolean strict) {
        return new StrictBracket(base, property, lvalue, strict);
    }

    /**
     * jinja2's Undefined allows printing and testing, but an attribute or item of it is an
     * UndefinedError; jinjava would quietly yield null.
     */
    private static Object requireDefined(AstNode prefix, Bindings bindings, ELContext context, String what) {
        Object base = prefix.eval(bindings, context);
        if (base == null)
            throw new IllegalArgumentException(prefix instanceof AstIdentifier id
                    ? "'" + id.getName() + "' is undefined" : "undefined value has no " + what);
        return base;
    }

    /** A node that can fail before jinjava would quietly yield null. */
    private interface Checked {
        void check(Bindings bindings, ELContext context);
    }

    /**
     * A method call on an undefined value fails like its attribute lookup would; a filter or test
     * that does not exist fails (jinja2 refuses to compile it), where jinjava yields null.
     */
    @Override
    protected AstMethod createAstMethod(AstProperty property, AstParameters params) {
        if (!(property instanceof Checked checked)) return super.createAstMethod(property, params);
        return new AstMethod(property, params) {
            @Override
            public Object eval(Bindings bindings, ELContext context) {
                checked.check(bindings, context);
                return super.eval(bindings, context);
            }
        };
    }

    private static final class LookupDot extends AstDot implements Checked {
        private final String what;

        LookupDot(AstIdentifier id, String property, boolean lvalue) {
            super(id, property, lvalue);
            String name = id.getName();
            what = name.startsWith(FILTER_PREFIX) ? "No filter named '" + name.substring(FILTER_PREFIX.length()) + "'."
                    : "No test named '" + name.substring(EXPTEST_PREFIX.length()) + "'.";
        }

        @Override
        public void check(Bindings bindings, ELContext context) {
            if (prefix.eval(bindings, context) == null) throw new IllegalArgumentException(what);
        }
    }

    private static final class StrictDot extends AstDot implements Checked {
        StrictDot(AstNode base, String property, boolean lvalue) {
            super(base, property, lvalue);
        }

        @Override
        public void check(Bindings bindings, ELContext context) {
            requireDefined(prefix, bindings, context, "attribute '" + property + "'");
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            check(bindings, context);
            return super.eval(bindings, context);
        }

        @Override
        public Object invoke(Bindings bindings, ELContext context, Class<?> returnType, Class<?>[] paramTypes, Object[] params) {
            requireDefined(prefix, bindings, context, "attribute '" + property + "'");
            return super.invoke(bindings, context, returnType, paramTypes, params);
        }
    }

    private static final class StrictBracket extends AstBracket implements Checked {
        StrictBracket(AstNode base, AstNode property, boolean lvalue, boolean strict) {
            super(base, property, lvalue, strict);
        }

        @Override
        public void check(Bindings bindings, ELContext context) {
            requireDefined(prefix, bindings, context, "item");
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            check(bindings, context);
            return super.eval(bindings, context);
        }

        @Override
        public Object invoke(Bindings bindings, ELContext context, Class<?> returnType, Class<?>[] paramTypes, Object[] params) {
            requireDefined(prefix, bindings, context, "item");
            return super.invoke(bindings, context, returnType, paramTypes, params);
        }
    }

    @Override
    protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
        if (operator == AdditionOperator.OP) operator = PyOperators.ADD;
        else if (operator == AstBinary.EQ) operator = PyOperators.EQ;
        else if (operator == AstBinary.NE) operator = PyOperators.NE;
        else if (operator == AstBinary.MUL) operator = PyOperators.MUL;
        else if (operator == AstBinary.MOD) operator = PyOperators.MOD;
        return super.createAstBinary(left, right, operator);
    }
}
