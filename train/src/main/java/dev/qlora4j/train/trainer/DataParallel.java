package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.dist.World;
import dev.qlora4j.train.optim.Optimizer;
import dev.qlora4j.train.report.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The trainer's side of data parallelism: the gradients' all-reduce over MPI (where the GPU's NCCL did not already sum them), the check
 * that every rank holds the same state, and the rule for resuming with another number of ranks.
 */
final class DataParallel {
    private DataParallel() {}

    /** Written into every checkpoint: how many ranks trained it and with which global batch. */
    static final String FILE = "data_parallel.json";

    /**
     * The trainable parameters' gradients summed over the ranks (one all-reduce of every gradient
     * and a has-gradient flag per tensor, so that a tensor no rank touched stays without one, as
     * in a single process).
     */
    static void allReduceGradients(World world, List<Tensor> params, String what) {
        long total = 0;
        for (Tensor p : params) total += p.numel() + 1;
        float[] flat = new float[Math.toIntExact(total)];
        int o = 0;
        for (Tensor p : params) {
            int n = Math.toIntExact(p.numel());
            if (p.grad() != null) {
                System.arraycopy(p.grad().toFloatArray(), 0, flat, o, n);
                flat[o + n] = 1;
            }
            o += n + 1;
        }
        world.allReduceSum(flat, what);
        o = 0;
        for (Tensor p : params) {
            int n = Math.toIntExact(p.numel());
            if (flat[o + n] > 0) {
                float[] g = new float[n];
                System.arraycopy(flat, o, g, 0, n);
                p.setGrad(Tensor.of(g, p.shape()));
            }
            o += n + 1;
        }
    }

    /**
     * Compares a checksum of the trainable parameters and the optimizer state across the ranks:
     * they must be bit for bit the same (the same summed gradients, the same update); a difference
     * is an internal error, found at the checkpoint instead of as a silently wrong model.
     */
    static void checkSameState(World world, List<Tensor> params, Optimizer optimizer, long step) {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        for (Tensor p : params) update(crc, buf, p.toFloatArray());
        for (Map.Entry<String, Tensor> e : optimizer.stateDict().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() == dev.qlora4j.tensor.DType.F32) update(crc, buf, t.toFloatArray());
        }
        long mine = crc.getValue();
        byte[][] all = world.allGather(ByteBuffer.allocate(8).putLong(mine).array(), "the state checksums of step " + step);
        for (int r = 0; r < all.length; r++)
            if (ByteBuffer.wrap(all[r]).getLong() != mine)
                throw new IllegalStateException("rank " + r + "'s adapter or optimizer state differs from rank " + world.rank()
                        + "'s at step " + step + " (the ranks diverged)");
    }

    private static void update(CRC32C crc, ByteBuffer buf, float[] values) {
        for (float v : values) {
            if (buf.remaining() < 4) {
                buf.flip();
                crc.update(buf);
                buf.clear();
            }
            buf.putInt(Float.floatToRawIntBits(v));
        }
        buf.flip();
        crc.update(buf);
        buf.clear();
    }

    /** The checkpoint's data_parallel.json. */
    static void write(Path dir, TrainingConfig cfg, int worldSize) throws IOException {
        ObjectNode n = RunState.JSON.createObjectNode();
        n.put("world_size", worldSize);
        n.put("per_device_train_batch_size", cfg.batching().perDeviceTrainBatchSize());
        n.put("gradient_accumulation_steps", cfg.batching().gradientAccumulationSteps());
        n.put("global_batch_size", globalBatch(cfg, worldSize));
        AtomicFiles.writeString(dir.resolve(FILE), RunState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    static long globalBatch(TrainingConfig cfg, int worldSize) {
        return (long) cfg.batching().perDeviceTrainBatchSize() * cfg.batching().gradientAccumulationSteps() * worldSize;
    }

    /**
     * Resuming with another number of ranks continues the same run only when the global batch is
     * unchanged (then the same examples make each step); otherwise it is refused, with the
     * settings that would match. Checkpoints without data_parallel.json (HF Trainer's, older
     * ones) were written by one process. The folder must be readable on every rank.
     */
    static void checkResume(Path checkpoint, TrainingConfig cfg, World world) {
        if (!Files.isRegularFile(checkpoint.resolve(RunState.FILE)))
            throw BadInputException.at("resume_from_checkpoint", checkpoint + " cannot be read on this machine (" + world.label()
                    + "): the output folder must be on storage that every rank sees");
        Path file = checkpoint.resolve(FILE);
        int ranks = 1;
        long global;
        try {
            if (Files.isRegularFile(file)) {
                JsonNode n = RunState.JSON.readTree(file.toFile());
                ranks = n.path("world_size").asInt(1);
                global = n.path("global_batch_size").asLong();
            } else {
                global = -1;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (ranks == world.size() || global < 0) return;
        long now = globalBatch(cfg, world.size());
        if (global != now) {
            long perRank = (long) cfg.batching().perDeviceTrainBatchSize() * world.size();
            String fix = global % perRank == 0 ? "gradient_accumulation_steps " + global / perRank : "a per-device batch and accumulation whose product × "
                    + world.size() + " ranks is " + global;
            throw BadInputException.at("resume_from_checkpoint", checkpoint + " was trained on " + ranks + " rank" + (ranks == 1 ? "" : "s")
                    + " with a global batch of " + global + "; this run's is " + now + " (" + cfg.batching().perDeviceTrainBatchSize() + " per device × "
                    + cfg.batching().gradientAccumulationSteps() + " accumulation × " + world.size() + (world.size() == 1 ? " rank" : " ranks") + "): set " + fix + ", or resume on " + ranks
                    + " rank" + (ranks == 1 ? "" : "s"));
        }
    }
}
