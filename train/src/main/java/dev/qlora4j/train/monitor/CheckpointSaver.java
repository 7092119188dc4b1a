package dev.qlora4j.train.monitor;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The trainer's checkpoint writer, lent to the {@link Monitor}: it writes a loadable checkpoint
 * (adapter files and whatever else the trainer saves) into {@code dir}, which must not exist yet
 * and does exist, complete, when it returns.
 */
@FunctionalInterface
public interface CheckpointSaver {
    void save(Path dir) throws IOException;
}
