import KernelIR

/// Turns the loop and reduction kernels of a schedule (and the epilogues of its contractions) into
/// runnable ``LoopKernel``s, all at once so that a compiler can build them as one unit. The result
/// has one kernel per input kernel, in order.
///
/// The seam between the CPU device and its code generator: ``CPUBackend`` opens devices with
/// ``CPUKernelCompiler``; tests may pass ``interpretedLoopKernels``.
typealias LoopKernelFactory = @Sendable ([Kernel]) throws(BackendError) -> [any LoopKernel]

/// The fallback factory: every kernel runs in the reference interpreter. Correct, slow.
let interpretedLoopKernels: LoopKernelFactory = { kernels throws(BackendError) in
    kernels.map { InterpretedLoopKernel(kernel: $0) }
}
