package dev.qlora4j.accel.model;

import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.DeviceBuffer;
import dev.qlora4j.accel.GpuKernels;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;

import java.util.List;

/**
 * The adapter tensors' device side in two contiguous buffers: bf16 copies for the GEMMs and fp32
 * gradient accumulators, each tensor a slice. So a step moves them between host and device in
 * one transfer each way (and one cast kernel), not one synchronising copy per tensor.
 */
final class AdapterStore {
    private final List<Tensor> masters;
    private final long[] offsets;
    private final int total;
    private final DeviceBuffer grads, copies;

    AdapterStore(CudaDevice d, List<Tensor> masters) {
        this.masters = List.copyOf(masters);
        this.offsets = new long[masters.size()];
        long n = 0;
        for (int i = 0; i < masters.size(); i++) {
            offsets[i] = n;
            n += masters.get(i).numel();
        }
        this.total = Math.toIntExact(n);
        this.grads = d.zeros(4L * Math.max(1, total));
        this.copies = d.allocate(2L * Math.max(1, total));
        refresh(d);
    }

    private int index(Tensor master) {
        for (int i = 0; i < masters.size(); i++) if (masters.get(i) == master) return i;
        throw new IllegalArgumentException("not an adapter tensor of this model");
    }

    /** The fp32 gradient accumulator of {@code master}. */
    DeviceBuffer grad(Tensor master) {
        int i = index(master);
        return grads.slice(4 * offsets[i], 4 * master.numel());
    }

    /** The bf16 copy of {@code master}. */
    DeviceBuffer copy(Tensor master) {
        int i = index(master);
        return copies.slice(2 * offsets[i], 2 * master.numel());
    }

    /** Host masters → the bf16 copies: one upload, one cast. */
    void refresh(CudaDevice d) {
        if (total == 0) return;
        float[] all = new float[total];
        try (var ignored = Tensor.noGrad()) {
            for (int i = 0; i < masters.size(); i++) {
                float[] v = masters.get(i).contiguous().toFloatArray();
                System.arraycopy(v, 0, all, (int) offsets[i], v.length);
            }
        }
        DeviceBuffer staging = d.upload(all);
        GpuKernels.cast(d, staging, DType.F32, copies, DType.BF16, total);
        d.free(staging);
    }

    void allReduce(dev.qlora4j.accel.NcclComm nccl, long timeoutNanos) {
        if (total > 0) nccl.allReduceSum(grads, total, timeoutNanos);
    }

    /** The accumulated gradients added to the masters' .grad, then zeroed here: one download. */
    void gradientsToHost(CudaDevice d) {
        if (total == 0) return;
        float[] all = d.downloadFloats(grads, total);
        for (int i = 0; i < masters.size(); i++) {
            Tensor p = masters.get(i);
            float[] g = new float[(int) p.numel()];
            System.arraycopy(all, (int) offsets[i], g, 0, g.length);
            GpuLinear.addGrad(p, g);
        }
        d.clear(grads, 4L * total);
    }
}
