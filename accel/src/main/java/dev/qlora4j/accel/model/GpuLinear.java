package dev.qlora4j.accel.model;

import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.DeviceBuffer;
import dev.qlora4j.accel.GpuKernels;
import dev.qlora4j.model.lora.LoraLinear;
import dev.qlora4j.model.nn.DenseLinear;
import dev.qlora4j.model.nn.Linear;
import dev.qlora4j.model.nn.Nf4Linear;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;

/**
 * A projection on the GPU: y = x·Wᵀ (+ bias) (+ scale·drop(x)·Aᵀ·Bᵀ), bf16 activations. The frozen
 * W is bf16, or NF4 dequantized into a shared bf16 scratch right before each GEMM (the
 * bitsandbytes recipe); the bias is fp32. A LoRA adapter keeps bf16 copies of A [r, in] and B
 * [out, r] for the GEMMs (refreshed from the fp32 masters after each optimizer step) and
 * accumulates its gradients in fp32. Dropout masks come from a seed, so the backward regenerates
 * the forward's mask instead of storing it.
 */
final class GpuLinear {
    final int in, out;
    private final DeviceBuffer weight, bias;
    private final GpuKernels.Nf4Device nf4;
    final LoraLinear lora;
    private final int rank;
    private DeviceBuffer a16, b16, gradA, gradB;

    GpuLinear(CudaDevice d, Linear module) {
        this.in = module.inFeatures();
        this.out = module.outFeatures();
        Linear base = module;
        if (module instanceof LoraLinear l) {
            lora = l;
            base = l.base();
            rank = l.rank();
        } else {
            lora = null;
            rank = 0;
        }
        switch (base) {
            case DenseLinear dl -> {
                weight = DeviceWeights.bf16(d, dl.weight());
                nf4 = null;
                bias = dl.bias() == null ? null : DeviceWeights.f32(d, dl.bias());
            }
            case Nf4Linear ql -> {
                weight = null;
                nf4 = GpuKernels.upload(d, ql.weight());
                bias = ql.bias() == null ? null : DeviceWeights.f32(d, ql.bias());
            }
            default -> throw new IllegalArgumentException("no GPU form for a " + base.getClass().getSimpleName());
        }
    }

    /** Elements of the bf16 scratch this projection's NF4 weight dequantizes into (0 for a bf16 weight). */
    long scratchElements() {
        return nf4 == null ? 0 : (long) in * out;
    }

    /** The bf16 weight, dequantized into {@code scratch} first when it is NF4. */
    private DeviceBuffer weight(CudaDevice d, DeviceBuffer scratch) {
        if (nf4 == null) return weight;
        GpuKernels.nf4Dequantize(d, nf4, scratch);
        return scratch;
    }

    private boolean dropsOut() {
        return lora != null && lora.dropout() > 0 && lora.training();
    }

    /** drop(x) into a new buffer, or x itself without dropout. */
    private DeviceBuffer adapterInput(CudaDevice d, DeviceBuffer x, int n, long seed) {
        if (!dropsOut()) return x;
        DeviceBuffer xd = d.allocate(2L * n * in);
        GpuKernels.dropout(d, x, xd, lora.dropout(), seed, (long) n * in);
        return xd;
    }

    /**
     * x [n, in] → y [n, out] (new buffer). With an adapter, {@code saved[0]} receives x·Aᵀ [n, r]
     * (bf16) for the backward.
     */
    DeviceBuffer forward(CudaDevice d, DeviceBuffer x, int n, DeviceBuffer scratch, long seed, DeviceBuffer[] saved) {
        DeviceBuffer y = d.allocate(2L * n * out);
        d.matmul(false, true, n, out, in, 1f, x, DType.BF16, weight(d, scratch), DType.BF16, 0f, y, DType.BF16);
        if (bias != null) GpuKernels.addBias(d, y, bias, n, out);
        if (lora != null) {
            DeviceBuffer xd = adapterInput(d, x, n, seed);
            DeviceBuffer xa = d.allocate(2L * n * rank);
            d.matmul(false, true, n, rank, in, 1f, xd, DType.BF16, a16, DType.BF16, 0f, xa, DType.BF16);
            d.matmul(false, true, n, out, rank, lora.scale(), xa, DType.BF16, b16, DType.BF16, 1f, y, DType.BF16);
            if (xd != x) d.free(xd);
            saved[0] = xa;
        }
        return y;
    }

    /**
     * dy [n, out] → dx [n, in]: written (beta 0) or added (beta 1). Accumulates the adapter's
     * gradients; x and xa are the forward's input and saved x·Aᵀ (xa is freed here).
     */
    void backward(CudaDevice d, DeviceBuffer dy, DeviceBuffer x, DeviceBuffer xa, int n, DeviceBuffer dx, float beta,
                  DeviceBuffer scratch, long seed) {
        d.matmul(false, false, n, in, out, 1f, dy, DType.BF16, weight(d, scratch), DType.BF16, beta, dx, DType.BF16);
        if (lora == null) return;
        float s = lora.scale();
        DeviceBuffer dxa = d.allocate(2L * n * rank);
        d.matmul(false, false, n, rank, out, s, dy, DType.BF16, b16, DType.BF16, 0f, dxa, DType.BF16);
        // dB += s·dyᵀ·xa,  dA += dxaᵀ·drop(x),  dx += dxa·A (the dropout's mask and scale are in drop(x) / carried by dxa)
        d.matmul(true, false, out, rank, n, s, dy, DType.BF16, xa, DType.BF16, 1f, gradB, DType.F32);
        DeviceBuffer xd = adapterInput(d, x, n, seed);
        d.matmul(true, false, rank, in, n, 1f, dxa, DType.BF16, xd, DType.BF16, 1f, gradA, DType.F32);
        if (xd != x) d.free(xd);
        if (dropsOut()) {
            // d drop(x)/dx = mask/(1 − p): the same mask applied to dxa·A
            DeviceBuffer t = d.allocate(2L * n * in), masked = d.allocate(2L * n * in);
            d.matmul(false, false, n, in, rank, 1f, dxa, DType.BF16, a16, DType.BF16, 0f, t, DType.BF16);
            GpuKernels.dropout(d, t, masked, lora.dropout(), seed, (long) n * in);
            GpuKernels.add(d, dx, masked, (long) n * in);
            d.free(t);
            d.free(masked);
        } else {
            d.matmul(false, false, n, in, rank, 1f, dxa, DType.BF16, a16, DType.BF16, 1f, dx, DType.BF16);
        }
        d.free(dxa);
        d.free(xa);
    }

    /** Takes the adapter's bf16 copies and gradient accumulators from the model's store. */
    void place(AdapterStore store) {
        if (lora == null) return;
        a16 = store.copy(lora.loraA());
        b16 = store.copy(lora.loraB());
        gradA = store.grad(lora.loraA());
        gradB = store.grad(lora.loraB());
    }

    static void addGrad(Tensor p, float[] g) {
        Tensor gt = Tensor.of(g, p.shape());
        if (p.grad() == null) {
            p.setGrad(gt);
        } else {
            float[] acc = p.grad().toFloatArray();
            for (int i = 0; i < acc.length; i++) acc[i] += g[i];
            p.setGrad(Tensor.of(acc, p.shape()));
        }
    }
}
