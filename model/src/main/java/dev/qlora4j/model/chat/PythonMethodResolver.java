package dev.qlora4j.model.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;
import java.beans.FeatureDescriptor;
import java.util.Iterator;
import java.util.Map;

/**
 * Gives strings in templates the Python {@code str} methods jinja2 templates call
 * ({@code content.strip()}, {@code role.startswith('u')}, ...) and Python's negative indexing
 * ({@code text[-1]}); jinjava would otherwise look for Java methods of these names, which either
 * do not exist ({@code upper}) or differ ({@code strip}, {@code split}). Also dict.get, whose
 * missing keys give None (not undefined) as in Python.
 */
final class PythonMethodResolver extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(method instanceof String name)) return null;
        Object[] p = params == null ? new Object[0] : params;
        if (base instanceof Map<?, ?> m && name.equals("get") && (p.length == 1 || p.length == 2)) {
            context.setPropertyResolved(true);
            Object key = p[0] instanceof CharSequence cs ? cs.toString() : p[0];
            return m.containsKey(key) ? m.get(key) : p.length == 2 ? p[1] : PyNone.NONE;
        }
        if (!(base instanceof String s)) return null;
        Object result = call(s, name, p);
        if (result == NOT_A_STRING_METHOD) return null;
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_A_STRING_METHOD = new Object();

    private static Object call(String s, String name, Object[] p) {
        return switch (name) {
            case "strip" -> PyStrings.strip(s, chars(p));
            case "lstrip" -> PyStrings.lstrip(s, chars(p));
            case "rstrip" -> PyStrings.rstrip(s, chars(p));
            case "upper" -> PyStrings.upper(s);
            case "lower" -> PyStrings.lower(s);
            case "title" -> PyStrings.title(s);
            case "capitalize" -> PyStrings.capitalize(s);
            case "startswith" -> PyStrings.startsWith(s, arg(p, 0, name));
            case "endswith" -> PyStrings.endsWith(s, arg(p, 0, name));
            case "split" -> PyStrings.split(s, p.length > 0 && p[0] != null ? PyValues.str(p[0]) : null, intArg(p, 1, -1));
            case "splitlines" -> PyStrings.splitlines(s);
            case "replace" -> PyStrings.replace(s, PyValues.str(arg(p, 0, name)), PyValues.str(arg(p, 1, name)), intArg(p, 2, -1));
            case "find" -> PyStrings.find(s, PyValues.str(arg(p, 0, name)));
            case "count" -> PyStrings.count(s, PyValues.str(arg(p, 0, name)));
            case "join" -> PyStrings.join(s, arg(p, 0, name));
            default -> NOT_A_STRING_METHOD;
        };
    }

    private static String chars(Object[] p) {
        return p.length > 0 && p[0] != null ? PyValues.str(p[0]) : null;
    }

    private static Object arg(Object[] p, int i, String method) {
        if (p.length <= i) throw new IllegalArgumentException("str." + method + "() is missing argument " + (i + 1));
        return p[i];
    }

    private static int intArg(Object[] p, int i, int dflt) {
        if (p.length <= i || p[i] == null) return dflt;
        if (p[i] instanceof Number n) return n.intValue();
        throw new IllegalArgumentException("expected an integer, got " + PyValues.repr(p[i]));
    }

    /** text[i] with Python's negative indices; jinjava passes the index as its string form. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (!(base instanceof String s) || property == null) return null;
        int index;
        try {
            index = Integer.parseInt(property.toString());
        } catch (NumberFormatException e) {
            return null;
        }
        int n = PyStrings.length(s);
        if (index < 0) index += n;
        if (index < 0 || index >= n) throw new IllegalArgumentException("string index out of range");
        context.setPropertyResolved(true);
        int at = s.offsetByCodePoints(0, index);
        return new String(Character.toChars(s.codePointAt(at)));
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
