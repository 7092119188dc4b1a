package dev.qlora4j.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ForLoop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * jinja2's for loop, where jinjava's differs: every iteration starts from a fresh scope (a
 * {@code set} in one iteration is gone in the next, which is why templates use namespace()),
 * {@code for x in xs if cond} filters before numbering, {@code else} renders only when nothing
 * was iterated, a string iterates over its characters, and None or a number is not iterable.
 */
final class PyForTag extends ForTag {
    private record Header(List<String> vars, String iterable, String condition) {
    }

    @Override
    public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
        Header h = parse(tagNode.getHelpers());
        Object collection = interpreter.resolveELExpression(h.iterable(), tagNode.getLineNumber());
        List<Object> items = items(collection);
        if (h.condition() != null) items = filter(items, h, tagNode, interpreter);

        List<Node> body = new ArrayList<>(), orElse = new ArrayList<>();
        List<Node> target = body;
        for (Node child : tagNode.getChildren()) {
            if (target == body && child instanceof TagNode t && t.getName().equals("else")) target = orElse;
            else target.add(child);
        }

        StringBuilder out = new StringBuilder();
        if (items.isEmpty()) {
            renderAll(orElse, interpreter, out, null);
            return out.toString();
        }
        ForLoop loop = new ForLoop(items.iterator(), items.size());
        try (var loopScope = interpreter.enterScope()) {
            interpreter.getContext().put(LOOP, loop);
            while (loop.hasNext()) {
                Object item = loop.next();
                try (var iteration = interpreter.enterScope()) {
                    bind(h.vars(), item, interpreter);
                    renderAll(body, interpreter, out, loop);
                }
            }
        }
        return out.toString();
    }

    private static void renderAll(List<Node> nodes, JinjavaInterpreter interpreter, StringBuilder out, ForLoop loop) {
        for (Node node : nodes) {
            out.append(node.render(interpreter).getValue());
            // {% break %} / {% continue %} skip the rest of the body
            if (loop != null && loop.isContinued()) return;
        }
    }

    /** What Python's iter() yields; an undefined iterable is empty, as jinja2's Undefined is. */
    private static List<Object> items(Object collection) {
        return switch (collection) {
            case null -> List.of();
            case CharSequence s -> new ArrayList<>(s.codePoints().mapToObj(Character::toString).toList());
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case Collection<?> c -> new ArrayList<>(c);
            case Object[] a -> new ArrayList<>(Arrays.asList(a));
            case Iterable<?> it -> {
                List<Object> out = new ArrayList<>();
                it.forEach(out::add);
                yield out;
            }
            default -> throw new IllegalArgumentException("'" + PyOperators.typeName(collection) + "' object is not iterable");
        };
    }

    /** The items for which the loop filter holds, each tested with the loop variables bound. */
    private static List<Object> filter(List<Object> items, Header h, TagNode tagNode, JinjavaInterpreter interpreter) {
        List<Object> kept = new ArrayList<>();
        for (Object item : items) {
            try (var test = interpreter.enterScope()) {
                bind(h.vars(), item, interpreter);
                if (PyValues.truthy(interpreter.resolveELExpression(h.condition(), tagNode.getLineNumber()))) kept.add(item);
            }
        }
        return kept;
    }

    /** Binds one loop variable, or unpacks the item into several (dict.items() pairs, lists). */
    private static void bind(List<String> vars, Object item, JinjavaInterpreter interpreter) {
        Object value = interpreter.wrap(item);
        if (vars.size() == 1) {
            interpreter.getContext().put(vars.getFirst(), value);
            return;
        }
        List<?> parts = switch (value) {
            case Map.Entry<?, ?> e -> Arrays.asList(e.getKey(), e.getValue());
            case List<?> l -> l;
            case Object[] a -> Arrays.asList(a);
            case CharSequence s -> s.codePoints().mapToObj(Character::toString).toList();
            case null, default -> throw new IllegalArgumentException("cannot unpack non-iterable " + PyOperators.typeName(value) + " object");
        };
        if (parts.size() != vars.size())
            throw new IllegalArgumentException((parts.size() > vars.size() ? "too many" : "not enough")
                    + " values to unpack (expected " + vars.size() + ", got " + parts.size() + ")");
        for (int i = 0; i < vars.size(); i++) interpreter.getContext().put(vars.get(i), interpreter.wrap(parts.get(i)));
    }

    /** "a, b in expr [if cond]": targets, iterable and optional filter, split at top-level keywords. */
    static Header parse(String helpers) {
        String s = helpers.strip();
        int in = TemplateText.findKeyword(s, "in", 0);
        if (in < 0) throw new IllegalArgumentException("expected 'in' in for loop: " + s);
        List<String> vars = new ArrayList<>();
        for (String v : s.substring(0, in).split(",")) {
            String name = v.strip();
            if (name.startsWith("(") && name.endsWith(")")) name = name.substring(1, name.length() - 1).strip();
            if (!name.isEmpty()) vars.add(name);
        }
        String rest = s.substring(in + 2);
        if (TemplateText.findKeyword(rest, "recursive", 0) >= 0)
            throw new IllegalArgumentException("recursive loops are not supported");
        int cond = TemplateText.findKeyword(rest, "if", 0);
        if (cond < 0) return new Header(vars, rest.strip(), null);
        return new Header(vars, rest.substring(0, cond).strip(), rest.substring(cond + 2).strip());
    }
}
