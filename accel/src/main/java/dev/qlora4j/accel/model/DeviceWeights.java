package dev.qlora4j.accel.model;

import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.DeviceBuffer;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/** Host tensors to device buffers: frozen weights as bf16, small vectors and masters as fp32. */
final class DeviceWeights {
    private DeviceWeights() {}

    /** t as bf16 on the device (a bf16 tensor's bytes as they are, others rounded once). */
    static DeviceBuffer bf16(CudaDevice d, Tensor t) {
        try (var ignored = Tensor.noGrad()) {
            Tensor c = t.dtype() == DType.BF16 && t.isContiguous() ? t : t.to(DType.BF16).contiguous();
            MemorySegment bytes = c.segment().asSlice(c.offset() * 2, c.numel() * 2);
            DeviceBuffer b = d.allocate(bytes.byteSize());
            d.upload(bytes, b, 0);
            // the host copy of a file-mapped weight is not read again on this path: let its pages go
            // (they come back from the file if the CPU path ever touches them)
            t.releaseMappedPages();
            return b;
        }
    }

    /** t as fp32 on the device. */
    static DeviceBuffer f32(CudaDevice d, Tensor t) {
        try (var ignored = Tensor.noGrad()) {
            return d.upload(t.contiguous().toFloatArray());
        }
    }
}
