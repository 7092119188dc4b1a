package dev.qlora4j.accel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CUDA C of every kernel, kept as resources beside this class and compiled as one module:
 * the prelude (bf16 conversions, reductions) followed by each file.
 */
public final class KernelSources {
    private KernelSources() {}

    public static final List<String> FILES = List.of("elementwise.cu", "rmsnorm.cu", "rope.cu", "cross_entropy.cu", "nf4.cu", "attention.cu");
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(");

    /** prelude + every file: the text NVRTC compiles. */
    public static String module() {
        StringBuilder s = new StringBuilder(read("kernels/prelude.cuh"));
        for (String f : FILES) s.append("\n// ---- ").append(f).append(" ----\n").append(read("kernels/" + f));
        return s.toString();
    }

    /** The names of the module's kernels ({@code extern "C" __global__} functions), in source order. */
    public static List<String> kernelNames(String source) {
        List<String> names = new ArrayList<>();
        Matcher m = KERNEL.matcher(source);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    /** A resource of this package (kernels/…, emu/…) as text. */
    public static String read(String resource) {
        try (InputStream in = KernelSources.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("kernel resource " + resource + " missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
