package dev.qlora4j.model.chat;

import dev.qlora4j.model.chat.JinjaAst.*;
import dev.qlora4j.model.chat.JinjaValues.Callable;
import dev.qlora4j.model.chat.JinjaValues.Namespace;
import dev.qlora4j.model.chat.JinjaValues.Tuple;
import dev.qlora4j.model.chat.JinjaValues.Undefined;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a parsed template with jinja2's semantics: a for loop's body gets a fresh scope on every
 * iteration (what it sets is gone after it; {@code namespace()} carries values out), if blocks
 * share their scope, macros close over the scope they were defined in. Sandboxed: the only
 * operations are the ones below and in {@link JinjaBuiltins} (no Java method or class is
 * reachable); output, loop iterations and call depth are bounded.
 */
final class JinjaRenderer {
    static final int MAX_OUTPUT = 64 << 20;
    static final long MAX_ITERATIONS = 10_000_000;
    static final int MAX_DEPTH = 500;

    /** A scope: variables, and the scope names not found here are looked up in. */
    static final class Frame {
        final Map<String, Object> vars = new HashMap<>();
        final Frame parent;

        Frame(Frame parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Frame f = this; f != null; f = f.parent) {
                Object v = f.vars.get(name);
                if (v != null || f.vars.containsKey(name)) return v;
            }
            return new Undefined("'" + name + "' is undefined");
        }
    }

    private static final class BreakSignal extends RuntimeException {
        BreakSignal() {
            super(null, null, false, false);
        }
    }

    private static final class ContinueSignal extends RuntimeException {
        ContinueSignal() {
            super(null, null, false, false);
        }
    }

    private static final BreakSignal BREAK = new BreakSignal();
    private static final ContinueSignal CONTINUE = new ContinueSignal();

    private final StringBuilder out = new StringBuilder();
    /** [start, end) character offsets of the output the generation blocks wrote. */
    final List<int[]> generationSpans = new ArrayList<>();
    /** The conversation's messages (by identity) and their index, when the renderer is to locate them. */
    private final java.util.IdentityHashMap<Object, Integer> messageIndex = new java.util.IdentityHashMap<>();
    /** Per message: [start, end) of the output of the one loop iteration over it that wrote something. */
    private int[][] messageSpans = new int[0][];
    /** Nesting of {@link #capture}: offsets recorded while capturing are not offsets of the output. */
    private int capturing;
    private long iterations;
    private int depth;

    String output() {
        return out.toString();
    }

    /** Locates {@code messages}' items in the output: the loop iterations over them (see {@link #messageSpans()}). */
    void trackMessages(List<?> messages) {
        for (int i = 0; i < messages.size(); i++) messageIndex.put(messages.get(i), i);
        messageSpans = new int[messages.size()][];
    }

    /**
     * Per message of {@link #trackMessages}: the [start, end) offsets of what the iteration of a for loop over it
     * wrote, or null where no iteration over it wrote anything, or more than one did.
     */
    List<int[]> messageSpans() {
        List<int[]> spans = new ArrayList<>(messageSpans.length);
        for (int[] s : messageSpans) spans.add(s == null || s[0] < 0 ? null : s);
        return java.util.Collections.unmodifiableList(spans);
    }

    private void noteMessage(Object item, int start) {
        Integer i = messageIndex.get(item);
        if (i == null || capturing > 0 || out.length() == start) return;
        messageSpans[i] = messageSpans[i] == null ? new int[]{start, out.length()} : new int[]{-1, -1};
    }

    void render(List<Stmt> body, Frame frame) {
        for (Stmt s : body) exec(s, frame);
    }

    private void write(String s, int line) {
        if (out.length() + (long) s.length() > MAX_OUTPUT)
            throw new JinjaException("the template's output exceeds " + (MAX_OUTPUT >> 20) + " MiB", line);
        out.append(s);
    }

    private void exec(Stmt s, Frame frame) {
        switch (s) {
            case Text t -> write(t.text(), t.line());
            case Output o -> write(JinjaValues.str(eval(o.expr(), frame)), o.line());
            case If f -> {
                for (int k = 0; k < f.tests().size(); k++)
                    if (JinjaValues.truthy(eval(f.tests().get(k), frame))) {
                        render(f.bodies().get(k), frame);
                        return;
                    }
                render(f.orElse(), frame);
            }
            case For f -> loop(f, eval(f.iter(), frame), frame, 0);
            case JinjaAst.Set st -> assign(st.target(), eval(st.value(), frame), frame, st.line());
            case SetBlock sb -> {
                String text = capture(sb.body(), new Frame(frame));
                Object v = text;
                for (Filter f : sb.filters()) v = applyFilter(f, v, frame);
                assign(sb.target(), v, frame, sb.line());
            }
            case Macro m -> frame.vars.put(m.name(), macro(m.name(), m.params(), m.defaults(), m.body(), frame, null));
            case CallBlock cb -> {
                Callable caller = macro("caller", cb.params(), cb.defaults(), cb.body(), frame, null);
                Object target = eval(cb.call().target(), frame);
                if (!(target instanceof MacroFn fn)) throw new JinjaException("call blocks need a macro", cb.line());
                Map<String, Object> kw = new LinkedHashMap<>(kwargs(cb.call(), frame));
                write(JinjaValues.str(fn.callWithCaller(args(cb.call(), frame), kw, caller, cb.line())), cb.line());
            }
            case FilterBlock fb -> {
                Object v = capture(fb.body(), frame);
                for (Filter f : fb.filters()) v = applyFilter(f, v, frame);
                write(JinjaValues.str(v), fb.line());
            }
            case With w -> {
                Frame inner = new Frame(frame);
                for (int k = 0; k < w.targets().size(); k++) assign(w.targets().get(k), eval(w.values().get(k), frame), inner, w.line());
                render(w.body(), inner);
            }
            case Generation g -> {
                int start = out.length();
                render(g.body(), new Frame(frame));
                // transformers' tracker is active only once something was written or recorded
                if (capturing == 0 && (start > 0 || !generationSpans.isEmpty())) generationSpans.add(new int[]{start, out.length()});
            }
            case Break b -> throw BREAK;
            case Continue c -> throw CONTINUE;
        }
    }

    /** Renders {@code body} into a string of its own (block set, filter blocks, macro bodies). */
    String capture(List<Stmt> body, Frame frame) {
        int start = out.length();
        capturing++;
        try {
            render(body, frame);
        } finally {
            capturing--;
        }
        String text = out.substring(start);
        out.setLength(start);
        return text;
    }

    private void loop(For f, Object iterable, Frame frame, int loopDepth) {
        List<Object> all = JinjaValues.iterate(iterable, f.line());
        List<Object> items = all;
        if (f.filter() != null) {
            items = new ArrayList<>();
            for (Object item : all) {
                Frame probe = new Frame(frame);
                assign(f.target(), item, probe, f.line());
                if (JinjaValues.truthy(eval(f.filter(), probe))) items.add(item);
            }
        }
        LoopContext ctx = new LoopContext(items, loopDepth, f, frame);
        for (int k = 0; k < items.size(); k++) {
            if (++iterations > MAX_ITERATIONS) throw new JinjaException("the template loops more than " + MAX_ITERATIONS + " times", f.line());
            ctx.index0 = k;
            Frame inner = new Frame(frame);
            assign(f.target(), items.get(k), inner, f.line());
            inner.vars.put("loop", ctx);
            int start = out.length();
            try {
                render(f.body(), inner);
            } catch (ContinueSignal c) {
                // next item
            } catch (BreakSignal b) {
                break;
            } finally {
                noteMessage(items.get(k), start);
            }
        }
        if (items.isEmpty()) render(f.orElse(), frame);
    }

    /** jinja2's loop variable; callable in recursive loops. */
    final class LoopContext implements Callable {
        final List<Object> items;
        final int depth0;
        final For loop;
        final Frame frame;
        int index0;
        Object lastChanged = new Object();

        LoopContext(List<Object> items, int depth0, For loop, Frame frame) {
            this.items = items;
            this.depth0 = depth0;
            this.loop = loop;
            this.frame = frame;
        }

        Object attr(String name, int line) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index0 + 1;
                case "index0" -> (long) index0;
                case "revindex" -> (long) (n - index0);
                case "revindex0" -> (long) (n - index0 - 1);
                case "first" -> index0 == 0;
                case "last" -> index0 == n - 1;
                case "length" -> (long) n;
                case "depth" -> (long) depth0 + 1;
                case "depth0" -> (long) depth0;
                case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("there is no previous item");
                case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : new Undefined("there is no next item");
                case "cycle" -> (Callable) (args, kw, l) -> {
                    if (args.isEmpty()) throw new JinjaException("no items for cycling given", l);
                    return args.get(index0 % args.size());
                };
                case "changed" -> (Callable) (args, kw, l) -> {
                    Object value = args.size() == 1 ? args.getFirst() : new Tuple(args);
                    boolean changed = !JinjaValues.eq(value, lastChanged);
                    lastChanged = value;
                    return changed;
                };
                default -> new Undefined("'LoopContext' object has no attribute '" + name + "'");
            };
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs, int line) {
            if (!loop.recursive()) throw new JinjaException("the loop is not recursive: declare it with 'recursive'", line);
            if (args.size() != 1) throw new JinjaException("loop() takes one argument", line);
            enter(line);
            int start = out.length();
            try {
                JinjaRenderer.this.loop(loop, args.getFirst(), frame, depth0 + 1);
            } finally {
                depth--;
            }
            String text = out.substring(start);
            out.setLength(start);
            return text;
        }
    }

    private void enter(int line) {
        if (++depth > MAX_DEPTH) {
            depth--;
            throw new JinjaException("the template nests calls more than " + MAX_DEPTH + " deep", line);
        }
    }

    /** A macro: its output is what it returns. */
    final class MacroFn implements Callable {
        final String name;
        final List<String> params;
        final List<Expr> defaults;
        final List<Stmt> body;
        final Frame closure;

        MacroFn(String name, List<String> params, List<Expr> defaults, List<Stmt> body, Frame closure) {
            this.name = name;
            this.params = params;
            this.defaults = defaults;
            this.body = body;
            this.closure = closure;
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs, int line) {
            return callWithCaller(args, kwargs, null, line);
        }

        Object callWithCaller(List<Object> args, Map<String, Object> kwargs, Callable caller, int line) {
            enter(line);
            try {
                Frame f = new Frame(closure);
                Map<String, Object> extra = new LinkedHashMap<>(kwargs);
                int firstDefault = params.size() - defaults.size();
                for (int k = 0; k < params.size(); k++) {
                    String p = params.get(k);
                    Object v;
                    if (k < args.size()) {
                        if (extra.containsKey(p)) throw new JinjaException("macro '" + name + "' got multiple values for argument '" + p + "'", line);
                        v = args.get(k);
                    } else if (extra.containsKey(p)) v = extra.remove(p);
                    else if (k >= firstDefault) v = eval(defaults.get(k - firstDefault), f);
                    else v = new Undefined("parameter '" + p + "' was not provided");
                    f.vars.put(p, v);
                }
                f.vars.put("varargs", new Tuple(args.size() > params.size() ? new ArrayList<>(args.subList(params.size(), args.size())) : List.of()));
                f.vars.put("kwargs", new LinkedHashMap<Object, Object>(extra));
                if (caller != null) f.vars.put("caller", caller);
                return capture(body, f);
            } finally {
                depth--;
            }
        }

        @Override
        public String toString() {
            return "<Macro '" + name + "'>";
        }
    }

    private MacroFn macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, Frame frame, Object unused) {
        return new MacroFn(name, params, defaults, body, frame);
    }

    private void assign(Expr target, Object value, Frame frame, int line) {
        switch (target) {
            case Name n -> frame.vars.put(n.name(), value);
            case GetAttr ga -> {
                Object ns = eval(ga.target(), frame);
                if (!(ns instanceof Namespace namespace)) throw new JinjaException("cannot assign attribute on non-namespace object", line);
                namespace.attrs.put(ga.name(), value);
            }
            case TupleExpr t -> {
                List<Object> items = value instanceof String || value instanceof Map<?, ?> ? JinjaValues.iterate(value, line) : JinjaValues.items(value);
                if (items == null) throw new JinjaException("cannot unpack non-iterable " + JinjaValues.typeName(value) + " object", line);
                if (items.size() != t.items().size())
                    throw new JinjaException(items.size() < t.items().size()
                            ? "not enough values to unpack (expected " + t.items().size() + ", got " + items.size() + ")"
                            : "too many values to unpack (expected " + t.items().size() + ")", line);
                for (int k = 0; k < items.size(); k++) assign(t.items().get(k), items.get(k), frame, line);
            }
            default -> throw new JinjaException("cannot assign to this expression", line);
        }
    }

    // ---- expressions ----

    Object eval(Expr e, Frame frame) {
        return switch (e) {
            case Const c -> c.value();
            case Name n -> frame.lookup(n.name());
            case ListExpr l -> {
                List<Object> out = new ArrayList<>(l.items().size());
                for (Expr x : l.items()) out.add(eval(x, frame));
                yield out;
            }
            case TupleExpr t -> {
                List<Object> out = new ArrayList<>(t.items().size());
                for (Expr x : t.items()) out.add(eval(x, frame));
                yield new Tuple(out);
            }
            case DictExpr d -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int k = 0; k < d.keys().size(); k++) out.put(eval(d.keys().get(k), frame), eval(d.values().get(k), frame));
                yield out;
            }
            case GetAttr ga -> getAttr(eval(ga.target(), frame), ga.name(), ga.line());
            case GetItem gi -> getItem(eval(gi.target(), frame), eval(gi.key(), frame), gi.line());
            case Slice s -> JinjaBuiltins.slice(eval(s.target(), frame), s.start() == null ? null : eval(s.start(), frame),
                    s.stop() == null ? null : eval(s.stop(), frame), s.step() == null ? null : eval(s.step(), frame), s.line());
            case Call c -> call(eval(c.target(), frame), args(c, frame), kwargs(c, frame), c.line());
            case Filtered f -> applyFilter(f.filter(), eval(f.value(), frame), frame);
            case Test t -> {
                List<Object> args = new ArrayList<>();
                for (Expr a : t.args()) args.add(eval(a, frame));
                boolean r = JinjaBuiltins.test(t.name(), eval(t.value(), frame), args, this, t.line());
                yield t.negated() != r;
            }
            case Unary u -> {
                Object v = eval(u.operand(), frame);
                if (v instanceof Undefined und) throw und.fail(u.line());
                if (!JinjaValues.isNumber(v))
                    throw new JinjaException("bad operand type for unary " + u.op() + ": '" + JinjaValues.typeName(v) + "'", u.line());
                if (u.op().equals("+")) yield JinjaValues.isInt(v) ? (Object) JinjaValues.asLong(v) : v;
                yield JinjaValues.isInt(v) ? (Object) (-JinjaValues.asLong(v)) : (Object) (-JinjaValues.asDouble(v));
            }
            case Binary b -> {
                try {
                    yield JinjaValues.binary(b.op(), eval(b.left(), frame), eval(b.right(), frame), b.line());
                } catch (ArithmeticException ex) {
                    throw new JinjaException("integer overflow", b.line());
                }
            }
            case Compare c -> {
                Object left = eval(c.first(), frame);
                for (int k = 0; k < c.ops().size(); k++) {
                    Object right = eval(c.rest().get(k), frame);
                    if (!compare(c.ops().get(k), left, right, c.line())) yield false;
                    left = right;
                }
                yield true;
            }
            case And a -> {
                Object l = eval(a.left(), frame);
                yield JinjaValues.truthy(l) ? eval(a.right(), frame) : l;
            }
            case Or o -> {
                Object l = eval(o.left(), frame);
                yield JinjaValues.truthy(l) ? l : eval(o.right(), frame);
            }
            case Not n -> !JinjaValues.truthy(eval(n.operand(), frame));
            case CondExpr c -> JinjaValues.truthy(eval(c.test(), frame)) ? eval(c.then(), frame)
                    : c.orElse() == null ? new Undefined("the inline if expression evaluated to false and no else section was defined")
                    : eval(c.orElse(), frame);
            case Concat c -> {
                StringBuilder sb = new StringBuilder();
                for (Expr p : c.parts()) sb.append(JinjaValues.str(eval(p, frame)));
                yield sb.toString();
            }
        };
    }

    private static boolean compare(String op, Object a, Object b, int line) {
        return switch (op) {
            case "==" -> JinjaValues.eq(a, b);
            case "!=" -> !JinjaValues.eq(a, b);
            case "in" -> JinjaValues.contains(b, a, line);
            case "notin" -> !JinjaValues.contains(b, a, line);
            default -> {
                if (a instanceof Undefined u) throw u.fail(line);
                if (b instanceof Undefined u) throw u.fail(line);
                int c = JinjaValues.compare(a, b, op, line);
                yield switch (op) {
                    case "<" -> c < 0;
                    case "<=" -> c <= 0;
                    case ">" -> c > 0;
                    default -> c >= 0;
                };
            }
        };
    }

    private List<Object> args(Call c, Frame frame) {
        List<Object> out = new ArrayList<>();
        for (Expr a : c.args()) out.add(eval(a, frame));
        if (c.starArgs() != null) {
            List<Object> more = JinjaValues.items(eval(c.starArgs(), frame));
            if (more == null) throw new JinjaException("argument after * must be a sequence", c.line());
            out.addAll(more);
        }
        return out;
    }

    private Map<String, Object> kwargs(Call c, Frame frame) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int k = 0; k < c.kwNames().size(); k++) out.put(c.kwNames().get(k), eval(c.kwValues().get(k), frame));
        if (c.starKwargs() != null) {
            if (!(eval(c.starKwargs(), frame) instanceof Map<?, ?> m)) throw new JinjaException("argument after ** must be a mapping", c.line());
            for (Map.Entry<?, ?> en : m.entrySet()) out.put(JinjaValues.str(en.getKey()), en.getValue());
        }
        return out;
    }

    Object call(Object target, List<Object> args, Map<String, Object> kwargs, int line) {
        if (target instanceof Undefined u) throw u.fail(line);
        if (!(target instanceof Callable fn)) throw new JinjaException("'" + JinjaValues.typeName(target) + "' object is not callable", line);
        return fn.call(args, kwargs, line);
    }

    Object applyFilter(Filter f, Object value, Frame frame) {
        List<Object> args = new ArrayList<>();
        for (Expr a : f.args()) args.add(eval(a, frame));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        for (int k = 0; k < f.kwNames().size(); k++) kwargs.put(f.kwNames().get(k), eval(f.kwValues().get(k), frame));
        return JinjaBuiltins.filter(f.name(), value, args, kwargs, this, f.line());
    }

    /** {@code obj.name}: jinja2 looks for an attribute (a method), then an item. */
    Object getAttr(Object obj, String name, int line) {
        switch (obj) {
            case Undefined u -> throw u.fail(line);
            case LoopContext l -> {
                return l.attr(name, line);
            }
            case Namespace ns -> {
                return ns.attrs.containsKey(name) ? ns.attrs.get(name) : new Undefined("'Namespace' object has no attribute '" + name + "'");
            }
            default -> {
            }
        }
        Callable method = JinjaBuiltins.method(obj, name);
        if (method != null) return method;
        if (obj instanceof Map<?, ?> m && JinjaValues.containsKey(m, name)) return JinjaValues.get(m, name);
        return noAttribute(obj, name);
    }

    /** {@code obj[key]}: jinja2 looks for an item, then (for a string key) an attribute. */
    Object getItem(Object obj, Object key, int line) {
        switch (obj) {
            case Undefined u -> throw u.fail(line);
            case Map<?, ?> m -> {
                if (JinjaValues.containsKey(m, key)) return JinjaValues.get(m, key);
            }
            case String s when JinjaValues.isInt(key) -> {
                int n = s.codePointCount(0, s.length());
                long k = JinjaValues.asLong(key);
                if (k < 0) k += n;
                if (k >= 0 && k < n) {
                    int at = s.offsetByCodePoints(0, (int) k);
                    return new String(Character.toChars(s.codePointAt(at)));
                }
            }
            case Namespace ns when key instanceof String k -> {
                return getAttr(ns, k, line);
            }
            case LoopContext l when key instanceof String k -> {
                return l.attr(k, line);
            }
            default -> {
                List<Object> items = JinjaValues.items(obj);
                if (items != null && JinjaValues.isInt(key)) {
                    long k = JinjaValues.asLong(key);
                    if (k < 0) k += items.size();
                    if (k >= 0 && k < items.size()) return items.get((int) k);
                }
            }
        }
        if (key instanceof String name) {
            Callable method = JinjaBuiltins.method(obj, name);
            if (method != null) return method;
            return noAttribute(obj, name);
        }
        return new Undefined(JinjaValues.typeName(obj) + " object has no element " + JinjaValues.repr(key));
    }

    /** jinja2's wording: "'dict object' has no attribute 'x'", "'None' has no attribute 'x'"; the sandbox's for _names. */
    private static Undefined noAttribute(Object obj, String name) {
        if (name.startsWith("_"))
            return new Undefined("access to attribute '" + name + "' of '" + JinjaValues.typeName(obj) + "' object is unsafe.");
        String what = obj instanceof PyNone ? "'None'" : "'" + JinjaValues.typeName(obj) + " object'";
        return new Undefined(what + " has no attribute '" + name + "'");
    }
}
