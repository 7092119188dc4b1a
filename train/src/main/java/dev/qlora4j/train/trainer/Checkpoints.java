package dev.qlora4j.train.trainer;

import dev.qlora4j.tensor.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code checkpoint-N} folders of an output directory: written whole or not at all (into a
 * hidden temporary folder, then renamed), found again for resuming, and rotated under
 * {@code save_total_limit} without ever deleting the best one.
 */
public final class Checkpoints {
    private Checkpoints() {}

    public static final String PREFIX = "checkpoint-";
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)");

    /** The body that fills a checkpoint folder. */
    @FunctionalInterface
    public interface Writer {
        void write(Path dir) throws IOException;
    }

    /**
     * Writes {@code outputDir/name} atomically: the writer fills {@code .name.tmp}, which is then
     * renamed; an older folder of the same name is replaced. A crash leaves either the old
     * complete folder or none, never a half-written one (temporary folders are cleared on the
     * next save).
     */
    public static Path save(Path outputDir, String name, Writer writer) throws IOException {
        Files.createDirectories(outputDir);
        Path tmp = outputDir.resolve("." + name + ".tmp"), dest = outputDir.resolve(name);
        deleteTree(tmp);
        Files.createDirectories(tmp);
        writer.write(tmp);
        Path old = outputDir.resolve("." + name + ".old");
        deleteTree(old);
        if (Files.exists(dest)) Files.move(dest, old);
        Files.move(tmp, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
        return dest;
    }

    /** Checkpoint folders with a trainer state, oldest (lowest step) first. */
    public static List<Path> list(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) return List.of();
        try (Stream<Path> s = Files.list(outputDir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p.resolve(RunState.FILE)))
                    .sorted(Comparator.comparingLong(Checkpoints::step)).toList();
        }
    }

    public static long step(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) throw BadInputException.at(checkpoint.toString(), "not a checkpoint-N folder");
        return Long.parseLong(m.group(1));
    }

    /** The checkpoint to resume from: the latest in the output folder, or null when there is none. */
    public static Path latest(Path outputDir) throws IOException {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? null : all.getLast();
    }

    /**
     * Deletes the oldest checkpoints beyond {@code limit}, as HF's {@code _rotate_checkpoints}:
     * the best checkpoint is never deleted (it counts as the newest), and with a limit of 1 and a
     * best checkpoint that is not the last, two are kept.
     */
    public static List<Path> rotate(Path outputDir, Integer limit, Path best) throws IOException {
        if (limit == null || limit <= 0) return List.of();
        List<Path> sorted = new ArrayList<>(list(outputDir));
        if (best != null) {
            Path b = best.toAbsolutePath().normalize();
            sorted.removeIf(p -> p.toAbsolutePath().normalize().equals(b));
            if (Files.isDirectory(best)) sorted.add(best);
        }
        int keep = limit;
        if (limit == 1 && best != null && !sorted.isEmpty() && !sorted.getLast().equals(list(outputDir).getLast())) keep = 2;
        List<Path> deleted = new ArrayList<>();
        for (int i = 0; i < sorted.size() - keep; i++) {
            deleteTree(sorted.get(i));
            deleted.add(sorted.get(i));
        }
        return deleted;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
