package dev.qlora4j.train.monitor;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.qlora4j.model.chat.PyJson;
import dev.qlora4j.train.report.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The kept {@code stable_checkpoint-N} folders of one output folder, oldest first, and their summary file. */
final class StableCheckpoints {
    private static final Pattern NAME = Pattern.compile(Pattern.quote(Monitor.PREFIX) + "(\\d{1,18})");
    // stability_metrics.json is written by Python's rules, which allow NaN (a grad-norm mean without norms)
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private final Path outputDir;
    private final List<Monitor.StableCheckpoint> kept;

    private StableCheckpoints(Path outputDir, List<Monitor.StableCheckpoint> kept) {
        this.outputDir = outputDir;
        this.kept = kept;
    }

    /**
     * The stable checkpoints a previous run left. A folder whose metrics file is missing or
     * unreadable (a run killed while saving) still counts, with no metrics, so rotation removes it in turn.
     */
    static StableCheckpoints scan(Path outputDir, Consumer<String> log) throws IOException {
        List<Monitor.StableCheckpoint> found = new ArrayList<>();
        if (Files.isDirectory(outputDir)) {
            try (Stream<Path> children = Files.list(outputDir)) {
                for (Path dir : children.filter(Files::isDirectory).toList()) {
                    Matcher m = NAME.matcher(dir.getFileName().toString());
                    if (m.matches()) found.add(read(dir, Long.parseLong(m.group(1)), log));
                }
            }
        }
        found.sort(Comparator.comparingLong(Monitor.StableCheckpoint::step));
        return new StableCheckpoints(outputDir, found);
    }

    private static Monitor.StableCheckpoint read(Path dir, long step, Consumer<String> log) {
        Map<String, Object> metrics = Map.of(), eval = Map.of();
        Path file = dir.resolve(Monitor.METRICS_FILE);
        try {
            Map<String, Object> json = JSON.readValue(file.toFile(), new TypeReference<>() {});
            metrics = objectOrEmpty(json.get("metrics"));
            eval = objectOrEmpty(json.get("eval_metrics"));
        } catch (IOException | RuntimeException e) {
            log.accept("monitor: " + dir.getFileName() + " has no readable " + Monitor.METRICS_FILE + "; counted without metrics");
        }
        return new Monitor.StableCheckpoint(step, dir, metrics, eval);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> objectOrEmpty(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    List<Monitor.StableCheckpoint> all() {
        return List.copyOf(kept);
    }

    Optional<Monitor.StableCheckpoint> newest() {
        return kept.isEmpty() ? Optional.empty() : Optional.of(kept.getLast());
    }

    boolean has(long step) {
        return kept.stream().anyMatch(c -> c.step() == step) || Files.exists(outputDir.resolve(Monitor.PREFIX + step));
    }

    void add(Monitor.StableCheckpoint checkpoint) {
        kept.add(checkpoint);
        kept.sort(Comparator.comparingLong(Monitor.StableCheckpoint::step));
    }

    /** Deletes the oldest folders beyond {@code limit}; returns them. */
    List<Monitor.StableCheckpoint> trimTo(int limit) throws IOException {
        List<Monitor.StableCheckpoint> removed = new ArrayList<>();
        while (kept.size() > limit) {
            Monitor.StableCheckpoint oldest = kept.removeFirst();
            deleteTree(oldest.path());
            removed.add(oldest);
        }
        return removed;
    }

    /** {@code {"total_checkpoints": n, "checkpoints": [{step, path, metrics, eval_metrics}, ...]}}, oldest first. */
    void writeSummary() throws IOException {
        List<Object> list = new ArrayList<>();
        for (Monitor.StableCheckpoint c : kept) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("step", c.step());
            entry.put("path", c.path().toString());
            entry.put("metrics", c.metrics());
            entry.put("eval_metrics", c.evalMetrics());
            list.add(entry);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("total_checkpoints", kept.size());
        summary.put("checkpoints", list);
        AtomicFiles.writeString(outputDir.resolve(Monitor.SUMMARY_FILE), new PyJson("  ", null, false, true).write(summary));
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
