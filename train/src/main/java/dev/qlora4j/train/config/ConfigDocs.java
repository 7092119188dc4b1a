package dev.qlora4j.train.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The config keys in words, from {@link ConfigKeys}: the README's key table (between
 * {@link #START} and {@link #END}) and the text of {@code train --help-config}. Nothing here is
 * written by hand per key, so the two cannot drift from what the parser accepts.
 */
public final class ConfigDocs {
    public static final String START = "<!-- config-keys:start (generated from ConfigKeys by ConfigDocs; do not edit) -->";
    public static final String END = "<!-- config-keys:end -->";

    private ConfigDocs() {}

    /** The markdown between the README's markers: one table of top-level keys, one per block, the keys that are only accepted. */
    public static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("| section | key | default | accepts | meaning |\n|---|---|---|---|---|\n");
        String section = null;
        for (Key<?> k : ConfigKeys.TOP.keys()) {
            if (k.inert()) continue;
            md.append("| ").append(k.section().equals(section) ? "" : k.section()).append(" | ").append(name(k)).append(" | ")
                    .append(cell(k.defaultText())).append(" | ").append(cell(k.type().describe())).append(" | ")
                    .append(cell(k.help())).append(" |\n");
            section = k.section();
        }
        for (Block b : ConfigKeys.BLOCKS) {
            md.append("\n`").append(b.name()).append("` block: ").append(b.help()).append(".\n\n");
            md.append("| key | default | accepts | meaning |\n|---|---|---|---|\n");
            for (Key<?> k : b.keys())
                md.append("| ").append(name(k)).append(" | ").append(cell(k.defaultText())).append(" | ")
                        .append(cell(k.type().describe())).append(" | ").append(cell(k.help())).append(" |\n");
        }
        md.append("\nAccepted so that a notebook's arguments paste in, and changing nothing here:\n");
        for (Map.Entry<String, List<String>> e : inertByHelp().entrySet())
            md.append("- ").append(e.getKey()).append(": ")
                    .append(String.join(", ", e.getValue().stream().map(n -> "`" + n + "`").toList())).append("\n");
        return md.toString();
    }

    /** {@code train --help-config}: every key with its default, what it accepts and its help, by section. */
    public static String text() {
        StringBuilder t = new StringBuilder("Training config keys (a JSON object; Hugging Face TrainingArguments names). "
                + "Give them in FILE.json or with --set KEY=VALUE.\n");
        String section = null;
        for (Key<?> k : ConfigKeys.TOP.keys()) {
            if (k.inert()) continue;
            if (!k.section().equals(section)) t.append("\n").append(k.section()).append(":\n");
            section = k.section();
            line(t, k);
        }
        for (Block b : ConfigKeys.BLOCKS) {
            t.append("\n\"").append(b.name()).append("\": {...}  ").append(b.help()).append(":\n");
            for (Key<?> k : b.keys()) line(t, k);
        }
        t.append("\naccepted, no effect here:\n");
        for (Map.Entry<String, List<String>> e : inertByHelp().entrySet())
            t.append("  ").append(String.join(", ", e.getValue())).append(" (").append(e.getKey()).append(")\n");
        return t.toString();
    }

    /** The {@code --help-config --json} result: every key as {path, section, aliases, default, accepts, help, inert}. */
    public static List<Map<String, Object>> keys() {
        List<Key<?>> all = new ArrayList<>(ConfigKeys.TOP.keys());
        for (Block b : ConfigKeys.BLOCKS) all.addAll(b.keys());
        List<Map<String, Object>> out = new ArrayList<>();
        for (Key<?> k : all) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", k.path());
            m.put("section", k.section());
            m.put("aliases", k.aliases());
            m.put("default", k.defaultText());
            m.put("accepts", k.type().describe());
            m.put("help", k.help());
            m.put("inert", k.inert());
            out.add(m);
        }
        return out;
    }

    private static void line(StringBuilder t, Key<?> k) {
        String names = k.name() + (k.aliases().isEmpty() ? "" : " (or " + String.join(", ", k.aliases()) + ")");
        t.append("  ").append(names).append(" = ").append(k.defaultText()).append("   (").append(k.type().describe())
                .append(")\n      ").append(k.help()).append("\n");
    }

    /** The top level's inert keys, grouped by what they accept. */
    private static Map<String, List<String>> inertByHelp() {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (Key<?> k : ConfigKeys.TOP.keys())
            if (k.inert()) groups.computeIfAbsent(k.help(), h -> new ArrayList<>()).add(k.name());
        return groups;
    }

    private static String name(Key<?> k) {
        String n = "`" + k.name() + "`";
        if (!k.aliases().isEmpty()) n += " (old name " + String.join(", ", k.aliases().stream().map(a -> "`" + a + "`").toList()) + ")";
        return n;
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }

    /** {@code text} with the region between the markers replaced by {@link #markdown()}. */
    public static String withTable(String text, String where) {
        int a = text.indexOf(START), b = text.indexOf(END);
        if (a < 0 || b < a) throw new IllegalArgumentException(where + " has no " + START + " … " + END + " region");
        return text.substring(0, a + START.length()) + "\n" + markdown() + text.substring(b);
    }

    /** Rewrites the key table of the README given as the one argument (default README.md). */
    public static void main(String[] args) throws IOException {
        Path readme = Path.of(args.length > 0 ? args[0] : "README.md");
        String updated = withTable(Files.readString(readme, StandardCharsets.UTF_8), readme.toString());
        Path tmp = readme.resolveSibling(readme.getFileName() + ".tmp");
        Files.writeString(tmp, updated, StandardCharsets.UTF_8);
        Files.move(tmp, readme, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
