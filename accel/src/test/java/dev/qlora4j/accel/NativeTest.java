package dev.qlora4j.accel;

import dev.qlora4j.accel.emu.CpuEmulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Finding the CUDA libraries: the loader's path first, then the search folders; a clear error otherwise. */
class NativeTest {
    @Test
    void aLibraryOffTheLoadersPathIsFoundInTheSearchFolders(@TempDir Path tmp) throws IOException {
        assumeTrue(CpuEmulator.bindings().isPresent(), "no CPU emulator (g++)");
        // the emulator library exports cuInit: copied under a driver-like name into a folder the loader does not search
        Path lib = Files.list(Path.of(System.getProperty("java.io.tmpdir"), "qlora4j-emu")).filter(p -> p.toString().endsWith(".so"))
                .findFirst().orElseThrow();
        Path dir = Files.createDirectories(tmp.resolve("lib"));
        Files.copy(lib, dir.resolve("libqlora4jfake.so.1"));
        Native.Library found = Native.open("test", List.of(tmp.resolve("absent"), dir), List.of(), "libqlora4jfake.so.1");
        assertThat(found.name()).isEqualTo(dir.resolve("libqlora4jfake.so.1").toAbsolutePath().toString());
        assertThat(found.lookup().find("cuInit")).isPresent();
        assertThatThrownBy(() -> Native.open("a test library is missing", List.of(dir), List.of(), "libqlora4jnone.so.1", "libqlora4jnone.so"))
                .isInstanceOf(CudaUnavailableException.class)
                .hasMessage("libqlora4jnone.so.1 / libqlora4jnone.so not found: a test library is missing");
    }
}
