package dev.qlora4j.accel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Opening shared libraries and binding their functions with FFM; failures say which library or symbol. */
final class Native {
    private Native() {}

    static final Linker LINKER = Linker.nativeLinker();

    /** A library opened by soname (the loader's search path) or by path; the first that opens wins. */
    record Library(String name, SymbolLookup lookup) {
        MethodHandle bind(String symbol, FunctionDescriptor fd, Linker.Option... options) {
            MemorySegment address = lookup.find(symbol).orElseThrow(() ->
                    new CudaUnavailableException(name + " has no " + symbol + " (a version older than CUDA 12?)"));
            return LINKER.downcallHandle(address, fd, options);
        }
    }

    /**
     * The first of {@code names} that opens: by the loader's search path, then in
     * {@link #searchDirs()} (the CUDA toolkit's folder and the pip packages PyTorch installs its
     * CUDA libraries from, which are often not on the loader's path). {@code companions} are
     * opened first from the folder where a name is found (cuBLAS needs its cuBLASLt beside it).
     */
    static Library open(String what, String... names) {
        return open(what, searchDirs(), List.of(), names);
    }

    static Library open(String what, List<Path> dirs, List<String> companions, String... names) {
        try {
            return openByLoader(what, names);
        } catch (CudaUnavailableException notOnPath) {
            for (Path dir : dirs)
                for (String name : names) {
                    Path file = dir.resolve(name);
                    if (!Files.isRegularFile(file)) continue;
                    for (String c : companions)
                        if (Files.isRegularFile(dir.resolve(c))) openByLoader(what, dir.resolve(c).toAbsolutePath().toString());
                    return openByLoader(what, file.toAbsolutePath().toString());
                }
            throw notOnPath;
        }
    }

    /**
     * QLORA4J_CUDA_LIBS (folders separated by ':'), CUDA_HOME's lib64, /usr/local/cuda's, and the
     * nvidia/&lt;package&gt;/lib folders of the Python installations' site-packages.
     */
    static List<Path> searchDirs() {
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("QLORA4J_CUDA_LIBS");
        if (env != null) for (String d : env.split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        String home = System.getenv("CUDA_HOME");
        if (home != null) dirs.add(Path.of(home, "lib64"));
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        dirs.add(Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));
        for (String root : new String[]{"/usr/local/lib", "/usr/lib", "/opt/conda/lib", System.getProperty("user.home") + "/.local/lib"})
            for (Path python : children(Path.of(root), "python3*"))
                for (String packages : new String[]{"site-packages", "dist-packages"})
                    for (Path pkg : children(python.resolve(packages).resolve("nvidia"), "*")) dirs.add(pkg.resolve("lib"));
        return dirs;
    }

    private static List<Path> children(Path dir, String glob) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (var s = Files.newDirectoryStream(dir, glob)) {
            for (Path p : s) if (Files.isDirectory(p)) out.add(p);
        } catch (java.io.IOException | SecurityException unreadable) {
            // not searched
        }
        out.sort(null);
        return out;
    }

    private static Library openByLoader(String what, String... names) {
        for (String name : names) {
            try {
                SymbolLookup lookup = name.contains("/") ? SymbolLookup.libraryLookup(Path.of(name), Arena.global())
                        : SymbolLookup.libraryLookup(name, Arena.global());
                return new Library(name, lookup);
            } catch (IllegalArgumentException | IllegalCallerException notThere) {
                if (notThere instanceof IllegalCallerException)
                    throw new CudaUnavailableException("native access is disabled: run java with --enable-native-access=ALL-UNNAMED");
            }
        }
        throw new CudaUnavailableException(String.join(" / ", names) + " not found: " + what);
    }

    /** A path's library when the file exists, for overrides such as QLORA4J_CUDA_DRIVER. */
    static Library openFile(String what, Path file) {
        if (!Files.isRegularFile(file)) throw new CudaUnavailableException(file + " not found: " + what);
        return openByLoader(what, file.toAbsolutePath().toString());
    }

    static RuntimeException rethrow(String call, Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new CudaException(call + ": " + t);
    }
}
