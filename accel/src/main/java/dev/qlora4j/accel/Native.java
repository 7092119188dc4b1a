package dev.qlora4j.accel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

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

    static Library open(String what, String... names) {
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
        return open(what, file.toAbsolutePath().toString());
    }

    static RuntimeException rethrow(String call, Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new CudaException(call + ": " + t);
    }
}
