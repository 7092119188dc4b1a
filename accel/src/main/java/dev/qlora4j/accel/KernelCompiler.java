package dev.qlora4j.accel;

/** Turns the kernels' CUDA C into the image cuModuleLoadData takes. */
public interface KernelCompiler {
    /** @param computeCapability major·10 + minor, e.g. 90 for an H100 */
    byte[] compile(String source, String name, int computeCapability);
}
