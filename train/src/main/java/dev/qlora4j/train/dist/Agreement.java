package dev.qlora4j.train.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.tensor.BadInputException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Points where every rank of a run must agree before it goes on: the outcome of work that may
 * fail on some ranks only (loading a model, opening a GPU), and that all ranks were started with
 * the same config and data.
 */
public final class Agreement {
    private Agreement() {}

    /** Work that may fail on some ranks and not others. */
    public interface Work<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work} on every rank, then agrees (an all-gather of one byte) on whether every
     * rank succeeded, so that no rank goes on to a collective the failed one never joins. A rank
     * that failed throws its own error (only rank 0's is shown when all failed, as when the
     * config is wrong everywhere); the others throw a quiet {@link RankFailure}. On a failure a
     * closeable result is closed.
     */
    public static <T> T agree(World world, String what, Work<T> work) throws IOException {
        if (!world.distributed()) return work.run();
        T result = null;
        Throwable failure = null;
        try {
            result = work.run();
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
        }
        int failed = world.failures(failure != null, "the outcome of " + what);
        if (failed == 0) return result;
        if (result instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the run ends anyway
            }
        }
        if (failure instanceof RankFailure f) throw f;   // decided at an inner agreement already
        if (failure == null) throw RankFailure.quiet(world, failed + " of " + world.size() + " ranks failed during " + what);
        throw RankFailure.agreed(world, failure, failed == world.size() && !world.isMain());
    }

    /**
     * Refuses ranks started with different settings: compares a SHA-256 of the resolved config
     * and of each data file's bytes with rank 0's. Every rank sees every hash, so all stop; rank
     * 0 says which rank differs in what.
     */
    public static void sameInputs(World world, JsonNode resolvedConfig, List<Path> dataFiles) {
        if (!world.distributed()) return;
        List<String> names = new ArrayList<>(List.of("the resolved config"));
        byte[] mine = sha256(resolvedConfig.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (Path f : dataFiles) {
            names.add(f.toString());
            mine = concat(mine, fileHash(f));
        }
        byte[][] all = world.allGather(mine, "the config and data hashes");
        for (int r = 1; r < all.length; r++)
            for (int i = 0; i < names.size(); i++)
                if (!Arrays.equals(all[r], 32 * i, 32 * i + 32, all[0], 32 * i, 32 * i + 32)) {
                    String what = i == 0 ? "rank " + r + "'s resolved config differs from rank 0's (its training_config.json would differ)"
                            : "rank " + r + "'s " + names.get(i) + " differs from rank 0's (other bytes, or missing on one)";
                    throw RankFailure.agreed(world, new BadInputException("ranks started with different inputs: " + what
                            + "; every rank must run the same config on the same data"), !world.isMain());
                }
    }

    /** The file's SHA-256, or 32 zero bytes when it cannot be read (loading reports that). */
    private static byte[] fileHash(Path f) {
        if (!Files.isRegularFile(f)) return new byte[32];
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return md.digest();
        } catch (IOException e) {
            return new byte[32];
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
