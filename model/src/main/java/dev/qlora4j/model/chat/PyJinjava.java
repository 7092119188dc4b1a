package dev.qlora4j.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.javax.el.ExpressionFactory;

/**
 * A Jinjava whose expressions are parsed by {@link PyParser} (jinja2's operator rules) and whose
 * conditions use Python's truthiness.
 */
final class PyJinjava extends Jinjava {
    /** jinjava also takes the string "false" for false; Python takes every non-empty string for true. */
    static final class PyTypeConverter extends TruthyTypeConverter {
        @Override
        protected Boolean coerceToBoolean(Object value) {
            return PyValues.truthy(value);
        }
    }

    private final ExpressionFactory pyExpressions =
            new ExpressionFactoryImpl(new TreeStore(new PyParser.SyntaxBuilder(), new Cache(1000)), new PyTypeConverter());

    PyJinjava(JinjavaConfig config) {
        super(config);
    }

    @Override
    public ExpressionFactory getExpressionFactory() {
        return pyExpressions;
    }
}
