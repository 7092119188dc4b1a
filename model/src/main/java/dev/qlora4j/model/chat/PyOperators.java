package dev.qlora4j.model.chat;

import jinjava.de.odysseus.el.misc.NumberOperations;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ELContext;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** Binary operators with Python semantics where jinjava's differ (see {@link PyParser}). */
final class PyOperators {
    private PyOperators() {}

    /** {@code a and b}: a when a is falsy, else b (both as values, not booleans). */
    static final AstBinary.Operator AND = (bindings, context, left, right) -> {
        Object l = left.eval(bindings, context);
        return bindings.convert(l, Boolean.class) ? right.eval(bindings, context) : l;
    };

    /** {@code a ~ b}: str(a) + str(b). */
    static final AstBinary.Operator CONCAT = (bindings, context, left, right) ->
            PyValues.str(left.eval(bindings, context)) + PyValues.str(right.eval(bindings, context));

    static final AstBinary.Operator ADD = PyOperators::add;
    static final AstBinary.Operator EQ = (bindings, context, left, right) ->
            pyEquals(left.eval(bindings, context), right.eval(bindings, context));
    static final AstBinary.Operator NE = (bindings, context, left, right) ->
            !pyEquals(left.eval(bindings, context), right.eval(bindings, context));
    static final AstBinary.Operator MUL = PyOperators::mul;
    static final AstBinary.Operator MOD = PyOperators::mod;

    /** {@code a + b}: numbers add, str + str and list + list concatenate, anything else is a TypeError. */
    private static Object add(Bindings bindings, ELContext context, AstNode left, AstNode right) {
        Object l = left.eval(bindings, context), r = right.eval(bindings, context);
        if (l instanceof CharSequence a && r instanceof CharSequence b) return a.toString() + b;
        if (l instanceof List<?> a && r instanceof List<?> b) {
            List<Object> out = new ArrayList<>(a);
            out.addAll(b);
            return out;
        }
        if (l instanceof Number && r instanceof Number) return NumberOperations.add(bindings, l, r);
        if (l instanceof CharSequence)
            throw new IllegalArgumentException("can only concatenate str (not \"" + typeName(r) + "\") to str");
        throw new IllegalArgumentException("unsupported operand type(s) for +: '" + typeName(l) + "' and '" + typeName(r) + "'");
    }

    /**
     * Python's ==: numbers (and bools, which are ints) by value, strings, lists and dicts by
     * content, None only to None, and no coercion between types (1 == '1' is false).
     */
    static boolean pyEquals(Object a, Object b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (isNumeric(a) && isNumeric(b)) {
            Number x = asNumber(a), y = asNumber(b);
            if (isInt(x) && isInt(y)) return new BigInteger(x.toString()).equals(new BigInteger(y.toString()));
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof CharSequence x && b instanceof CharSequence y) return x.toString().equals(y.toString());
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!pyEquals(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof java.util.Map<?, ?> x && b instanceof java.util.Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (var e : x.entrySet())
                if (!y.containsKey(e.getKey()) || !pyEquals(e.getValue(), y.get(e.getKey()))) return false;
            return true;
        }
        return a.equals(b);
    }

    private static boolean isNumeric(Object o) {
        return o instanceof Number || o instanceof Boolean;
    }

    private static Number asNumber(Object o) {
        return o instanceof Boolean b ? (b ? 1L : 0L) : (Number) o;
    }

    /** Python's type name of a template value, for error messages. */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "Undefined";
            case PyNone n -> "NoneType";
            case CharSequence s -> "str";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Float f -> "float";
            case java.math.BigDecimal d -> "float";
            case Number n -> "int";
            case List<?> l -> "list";
            case java.util.Map<?, ?> m -> "dict";
            default -> v.getClass().getSimpleName();
        };
    }

    private static Object mul(Bindings bindings, ELContext context, AstNode left, AstNode right) {
        Object l = left.eval(bindings, context), r = right.eval(bindings, context);
        if (l instanceof CharSequence s && isInt(r)) return repeat(s.toString(), count(r));
        if (r instanceof CharSequence s && isInt(l)) return repeat(s.toString(), count(l));
        if (l instanceof List<?> list && isInt(r)) return repeat(list, count(r));
        if (r instanceof List<?> list && isInt(l)) return repeat(list, count(l));
        return NumberOperations.mul(bindings, l, r);
    }

    private static Object mod(Bindings bindings, ELContext context, AstNode left, AstNode right) {
        Object l = left.eval(bindings, context), r = right.eval(bindings, context);
        if (l instanceof CharSequence s) return PercentFormat.format(s.toString(), r);
        if (isInt(l) && isInt(r)) {
            long b = ((Number) r).longValue();
            if (b == 0) throw new ArithmeticException("integer modulo by zero");
            return Math.floorMod(((Number) l).longValue(), b);
        }
        if (l instanceof Number a && r instanceof Number b) {
            double x = a.doubleValue(), y = b.doubleValue();
            if (y == 0) throw new ArithmeticException("float modulo");
            double m = x % y;
            return m != 0 && (m < 0) != (y < 0) ? m + y : m;
        }
        return NumberOperations.mod(bindings, l, r);
    }

    private static boolean isInt(Object o) {
        return o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte || o instanceof BigInteger;
    }

    private static int count(Object n) {
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, ((Number) n).longValue()));
    }

    private static String repeat(String s, int n) {
        return s.repeat(n);
    }

    private static List<Object> repeat(List<?> list, int n) {
        List<Object> out = new ArrayList<>(list.size() * n);
        for (int i = 0; i < n; i++) out.addAll(list);
        return out;
    }
}
