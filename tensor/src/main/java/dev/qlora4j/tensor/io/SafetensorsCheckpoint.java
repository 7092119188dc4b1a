package dev.qlora4j.tensor.io;

import dev.qlora4j.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The weights of a model folder as one name → tensor view: {@code model.safetensors}, or the shards
 * that {@code model.safetensors.index.json} names. Like transformers, every tensor of every listed
 * shard belongs to the checkpoint; the index must agree with the shards (each listed tensor is in
 * the shard it names) and no tensor may be in two shards. Views stay valid until {@link #close()}
 * (see {@link SafetensorsFile} for the lifetime rules).
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path path;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;
    private final List<String> names;
    private final Map<String, String> metadata;
    private final boolean sharded;

    private SafetensorsCheckpoint(Path path, boolean sharded, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner,
                                  List<String> names, Map<String, String> metadata) {
        this.path = path;
        this.sharded = sharded;
        this.files = List.copyOf(files);
        this.owner = owner;
        this.names = List.copyOf(names);
        this.metadata = metadata;
    }

    /**
     * Opens a model folder (index first, then {@code model.safetensors}), an index file, or a
     * single {@code .safetensors} file. Any problem closes what was opened and throws
     * {@link SafetensorsException}.
     */
    public static SafetensorsCheckpoint open(Path folderOrFile) {
        if (folderOrFile.getFileName() != null && folderOrFile.getFileName().toString().endsWith(".index.json")) {
            Path parent = folderOrFile.toAbsolutePath().getParent();
            return sharded(parent, folderOrFile);
        }
        if (!Files.isDirectory(folderOrFile)) {
            SafetensorsFile f = SafetensorsFile.open(folderOrFile);
            return single(folderOrFile, f);
        }
        Path index = folderOrFile.resolve(INDEX_FILE);
        if (Files.exists(index)) return sharded(folderOrFile, index);
        Path single = folderOrFile.resolve(SINGLE_FILE);
        if (Files.exists(single)) return single(folderOrFile, SafetensorsFile.open(single));
        throw SafetensorsException.in(folderOrFile, "no " + SINGLE_FILE + " or " + INDEX_FILE + " in the folder");
    }

    private static SafetensorsCheckpoint single(Path path, SafetensorsFile f) {
        Map<String, SafetensorsFile> owner = new HashMap<>();
        for (String n : f.names()) owner.put(n, f);
        return new SafetensorsCheckpoint(path, false, List.of(f), owner, f.names(), f.metadata());
    }

    private static SafetensorsCheckpoint sharded(Path folder, Path indexFile) {
        ShardIndex index = ShardIndex.read(indexFile);
        if (index.weightMap().isEmpty()) throw SafetensorsException.in(indexFile, "weight_map lists no tensors");
        // shards in name order, as transformers loads them: names come out in a stable order
        TreeSet<String> shardNames = new TreeSet<>(index.weightMap().values());
        for (String shard : shardNames)
            if (!Files.isRegularFile(folder.resolve(shard)))
                throw SafetensorsException.in(indexFile, "shard file " + SafetensorsException.quoted(shard)
                        + " named by the index does not exist");
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> owner = new HashMap<>();
            List<String> names = new ArrayList<>();
            Map<String, SafetensorsFile> byShardName = new HashMap<>();
            for (String shard : shardNames) {
                SafetensorsFile f = SafetensorsFile.open(folder.resolve(shard));
                files.add(f);
                byShardName.put(shard, f);
                for (String n : f.names()) {
                    SafetensorsFile other = owner.putIfAbsent(n, f);
                    if (other != null)
                        throw SafetensorsException.inTensor(folder, n, "tensor is in two shards, "
                                + other.path().getFileName() + " and " + f.path().getFileName());
                    names.add(n);
                }
            }
            for (Map.Entry<String, String> e : index.weightMap().entrySet())
                if (!byShardName.get(e.getValue()).contains(e.getKey()))
                    throw SafetensorsException.inTensor(folder.resolve(e.getValue()), e.getKey(),
                            "tensor listed in " + INDEX_FILE + " is missing from its shard");
            return new SafetensorsCheckpoint(folder, true, files, owner, names, index.metadata());
        } catch (RuntimeException | Error e) {
            for (SafetensorsFile f : files) f.close();
            throw e;
        }
    }

    /** The folder (or file) this checkpoint was opened from. */
    public Path path() {
        return path;
    }

    /** All tensor names: shard by shard in file-name order, each in its header order. */
    public List<String> names() {
        return names;
    }

    public boolean contains(String name) {
        return owner.containsKey(name);
    }

    /** The file holding a tensor; an unknown name throws {@link SafetensorsException}. */
    public SafetensorsFile fileOf(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) throw SafetensorsException.inTensor(path, name, "no such tensor in the checkpoint");
        return f;
    }

    public TensorInfo info(String name) {
        return fileOf(name).info(name);
    }

    /** A zero-copy view, valid until {@link #close()}. */
    public Tensor tensor(String name) {
        return fileOf(name).tensor(name);
    }

    /** An owned copy that outlives {@link #close()}. */
    public Tensor copyOf(String name) {
        return fileOf(name).copyOf(name);
    }

    /** The open files: one, or the shards in file-name order. */
    public List<SafetensorsFile> files() {
        return files;
    }

    /**
     * Single file: its {@code __metadata__}. Sharded: the index's {@code metadata} scalars as text
     * (e.g. {@code total_size}).
     */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** Whether the checkpoint came from an index (even one that names a single shard). */
    public boolean isSharded() {
        return sharded;
    }

    @Override
    public void close() {
        for (SafetensorsFile f : files) f.close();
    }
}
