package dev.qlora4j.model.chat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies caller data into the plain maps and lists templates read, so that rendering never sees
 * (or changes) the caller's objects and map keys are strings as in JSON; JSON null becomes None.
 */
final class TemplateValues {
    private TemplateValues() {}

    static Object copy(Object v) {
        return switch (v) {
            case null -> PyNone.NONE;
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.put(String.valueOf(e.getKey()), copy(e.getValue()));
                yield out;
            }
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>(c.size());
                for (Object o : c) out.add(copy(o));
                yield out;
            }
            case Object[] a -> copy(Arrays.asList(a));
            case Message m -> m.toMap();
            default -> v;
        };
    }
}
