package dev.qlora4j.train.compute;

import dev.qlora4j.train.config.Modes;
import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.CudaException;
import dev.qlora4j.accel.NcclComm;
import dev.qlora4j.accel.model.GpuTransformer;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.data.PaddedBatch;
import dev.qlora4j.train.dist.RankFailure;
import dev.qlora4j.train.dist.World;
import dev.qlora4j.train.report.MemoryProbe;

import java.util.List;
import java.util.Optional;

/**
 * Where a run's forward and backward happen: on the CPU through autograd, or on the GPU through
 * {@link GpuTransformer}. Either way the fp32 adapter weights, their gradients, the optimizer and
 * the checkpoints stay on the host, so everything after the backward is the same code.
 */
public sealed interface Compute extends AutoCloseable permits Compute.Cpu, Compute.Gpu {
    /**
     * A micro-batch's loss with {@code reduction}, divided by {@code divisor} (the step's label
     * tokens or micro-batches); the gradient of that accumulates. {@code seed} picks the GPU's
     * dropout masks (the CPU draws them from the run's dropout generator).
     */
    double lossAndBackward(PaddedBatch b, CrossEntropy.Reduction reduction, float divisor, long seed);

    /** Loss (with reduction MEAN) and, for a classifier, the predicted class of each row; no gradients. */
    Evaluated evaluate(PaddedBatch b);

    /** A causal LM's summed next-token cross-entropy over the batch's labels; no gradients. */
    double causalLossSum(PaddedBatch b);

    /** A classifier's logits [B, labels]; no gradients. */
    Tensor classifierLogits(PaddedBatch b);

    /**
     * A generator for this device (KV-cached on either: on the GPU the cache stays in device memory).
     */
    dev.qlora4j.model.generate.TokenGenerator generator(java.util.Set<Integer> eosIds);

    /** "cpu", or the GPU's ordinal and name. */
    String describe();

    /**
     * The step's micro-batches are done: the host parameters' gradients are complete. True when
     * they are already summed over the ranks of a distributed run (the GPU's NCCL all-reduce),
     * false when that is still to do (or there is one rank).
     */
    boolean gradientsReady();

    /** The host parameters changed (optimizer step, restored checkpoint). */
    void parametersChanged();

    /** Accelerator memory figures, if any. */
    List<MemoryProbe> probes();

    @Override
    void close();

    record Evaluated(double loss, int[] predicted) {}

    /** The GPU cannot be used (no driver, no device, a model it cannot run); the message says why, in one line. */
    final class DeviceUnavailable extends RuntimeException {
        DeviceUnavailable(String message) {
            super(message);
        }
    }

    /** "cpu" or "cuda" (the config's device, the CLI's --device); lora may be null (a model without an adapter being trained). */
    static Compute of(Modes.Device device, Transformer model, LoraModel lora) {
        return of(device, model, lora, World.single());
    }

    /**
     * The same for one rank of {@code world}: with cuda, the GPU of the rank's local rank (GPU 0
     * where each rank sees one), and an NCCL communicator over the ranks' GPUs.
     */
    static Compute of(Modes.Device device, Transformer model, LoraModel lora, World world) {
        return device == Modes.Device.CUDA ? Gpu.open(model, lora, world) : new Cpu(model);
    }

    final class Cpu implements Compute {
        private final Transformer model;
        private final boolean causal;

        public Cpu(Transformer model) {
            this.model = model;
            this.causal = model.config().task() == Task.CAUSAL_LM;
        }

        @Override
        public double lossAndBackward(PaddedBatch b, CrossEntropy.Reduction reduction, float divisor, long seed) {
            Tensor l = causal ? model.causalLmLoss(b.inputIds(), b.attentionMask(), b.packed(), b.labels(), reduction)
                    : model.classificationLoss(b.inputIds(), b.attentionMask(), b.labels(), reduction);
            l = l.div(Tensor.scalar(divisor));
            double loss = l.item();
            l.backward();
            return loss;
        }

        @Override
        public Evaluated evaluate(PaddedBatch b) {
            try (var ignored = Tensor.noGrad()) {
                if (causal)
                    return new Evaluated(model.causalLmLoss(b.inputIds(), b.attentionMask(), b.packed(), b.labels(), CrossEntropy.Reduction.MEAN).item(), null);
                Tensor logits = model.classify(b.inputIds(), b.attentionMask());
                double loss = CrossEntropy.apply(logits, b.labels(), CrossEntropy.Reduction.MEAN).item();
                return new Evaluated(loss, logits.argmax(1, false).toIntArray());
            }
        }

        @Override
        public double causalLossSum(PaddedBatch b) {
            try (var ignored = Tensor.noGrad()) {
                return model.causalLmLoss(b.inputIds(), b.attentionMask(), b.packed(), b.labels(), CrossEntropy.Reduction.SUM).item();
            }
        }

        @Override
        public Tensor classifierLogits(PaddedBatch b) {
            try (var ignored = Tensor.noGrad()) {
                return model.classify(b.inputIds(), b.attentionMask());
            }
        }

        @Override
        public dev.qlora4j.model.generate.TokenGenerator generator(java.util.Set<Integer> eosIds) {
            return new dev.qlora4j.model.generate.TokenGenerator(model, eosIds);
        }

        @Override
        public String describe() {
            return "cpu";
        }

        @Override
        public boolean gradientsReady() {
            return false;
        }

        @Override
        public void parametersChanged() {}

        @Override
        public List<MemoryProbe> probes() {
            return List.of();
        }

        @Override
        public void close() {}
    }

    final class Gpu implements Compute {
        private final CudaDevice device;
        private final GpuTransformer model;
        private final Transformer host;
        private final int classes;
        private NcclComm nccl;
        private long ncclTimeout;

        private Gpu(CudaDevice device, GpuTransformer model, Transformer host) {
            this.device = device;
            this.model = model;
            this.host = host;
            this.classes = host.head().outFeatures();
        }

        @Override
        public dev.qlora4j.model.generate.TokenGenerator generator(java.util.Set<Integer> eosIds) {
            return new dev.qlora4j.model.generate.TokenGenerator(host, eosIds, model.decoder());
        }

        static Gpu open(Transformer model, LoraModel lora, World world) {
            if (!world.distributed()) return open(model, lora, CudaDevice::open);
            Gpu gpu = null;
            RuntimeException failure = null;
            try {
                gpu = open(model, lora, () -> CudaDevice.openForLocalRank(world.localRank()));
            } catch (RuntimeException e) {
                failure = e;
            }
            // every rank has its GPU and model before they meet in NCCL, or none goes on
            int failed = world.failures(failure != null, "opening the GPUs");
            if (failure != null) throw RankFailure.agreed(world, failure, false);
            if (failed > 0) {
                gpu.close();
                throw RankFailure.quiet(world, failed + " ranks could not open their GPU");
            }
            try {
                byte[] id = world.broadcast(world.isMain() ? NcclComm.uniqueId(gpu.device) : new byte[0], "the NCCL unique id");
                gpu.nccl = NcclComm.init(gpu.device, world.size(), world.rank(), id);
                gpu.ncclTimeout = world.timeoutNanos();
                return gpu;
            } catch (RuntimeException e) {
                gpu.close();
                throw e;
            }
        }

        /** The device from {@code opener} (a driver failure: DeviceUnavailable) and the model on it (a model it cannot run: the same). */
        private static Gpu open(Transformer model, LoraModel lora, java.util.function.Supplier<CudaDevice> opener) {
            CudaDevice d;
            try {
                d = opener.get();
            } catch (CudaException e) {
                throw new DeviceUnavailable(e.getMessage());
            }
            try {
                return new Gpu(d, new GpuTransformer(d, model, lora), model);
            } catch (IllegalArgumentException e) {
                d.close();
                throw new DeviceUnavailable(e.getMessage());
            } catch (RuntimeException e) {
                d.close();
                throw e;
            }
        }

        @Override
        public double lossAndBackward(PaddedBatch b, CrossEntropy.Reduction reduction, float divisor, long seed) {
            return (float) run(b, reduction, 1f / divisor, true, seed).loss() / divisor;
        }

        private GpuTransformer.Result run(PaddedBatch b, CrossEntropy.Reduction reduction, float gradScale, boolean backward, long seed) {
            return model.step(b.inputIds().toIntArray(), b.attentionMask().toIntArray(),
                    b.packed() == null ? null : b.packed().toIntArray(), b.labels().toIntArray(), b.rows(), b.length(),
                    reduction, gradScale, backward, seed);
        }

        @Override
        public Evaluated evaluate(PaddedBatch b) {
            GpuTransformer.Result r = run(b, CrossEntropy.Reduction.MEAN, 0f, false, 0);
            if (r.logits() == null) return new Evaluated(r.loss(), null);
            try (var ignored = Tensor.noGrad()) {
                return new Evaluated(r.loss(), Tensor.of(r.logits(), b.rows(), classes).argmax(1, false).toIntArray());
            }
        }


        @Override
        public double causalLossSum(PaddedBatch b) {
            return run(b, CrossEntropy.Reduction.SUM, 0f, false, 0).loss();
        }

        @Override
        public Tensor classifierLogits(PaddedBatch b) {
            return Tensor.of(run(b, CrossEntropy.Reduction.MEAN, 0f, false, 0).logits(), b.rows(), classes);
        }

        @Override
        public String describe() {
            return "cuda:" + device.ordinal() + " (" + device.name() + ")" + (nccl == null ? "" : ", NCCL over " + nccl.ranks() + " ranks");
        }

        @Override
        public boolean gradientsReady() {
            if (nccl != null) model.allReduceGradients(nccl, ncclTimeout);
            model.gradientsToHost();
            return nccl != null;
        }

        @Override
        public void parametersChanged() {
            model.parametersChanged();
        }

        @Override
        public List<MemoryProbe> probes() {
            return List.of(new MemoryProbe() {
                @Override
                public String device() {
                    return "cuda:" + device.ordinal();
                }

                @Override
                public Optional<DeviceMemory> sample() {
                    var a = device.allocator();
                    return Optional.of(new DeviceMemory(a.allocatedBytes(), a.reservedBytes(), a.peakAllocatedBytes()));
                }
            });
        }

        @Override
        public void close() {
            if (nccl != null) nccl.close();
            device.close();
        }
    }
}
