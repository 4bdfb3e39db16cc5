import KernelIR

/// A loop or reduction kernel ready to run on the CPU: it computes the output elements whose flat
/// row-major indices lie in `range`, reading and writing raw buffers as devices store them.
///
/// `buffers` holds one pointer per kernel input, in `Kernel.inputs` order, then the output.
/// Disjoint ranges may run concurrently on different threads.
protocol LoopKernel: Sendable {
    /// The kernel's name, for errors.
    var name: String { get }
    /// Computes output elements `range`.
    func run(_ buffers: UnsafePointer<UnsafeMutableRawPointer>, range: Range<Int>)
}

/// The fallback when no C compiler is available: runs the kernel body in the reference interpreter.
///
/// Correct for every kernel but slow; each call decodes whole input buffers.
struct InterpretedLoopKernel: LoopKernel {
    let kernel: Kernel

    var name: String { kernel.body.name }

    func run(_ buffers: UnsafePointer<UnsafeMutableRawPointer>, range: Range<Int>) {
        guard !range.isEmpty else { return }
        let parameters = kernel.body.parameters
        let inputs = parameters.enumerated().map { index, parameter in
            TensorValue(deviceBytes: UnsafeRawBufferPointer(start: buffers[index], count: parameter.type.byteCount), type: parameter.type)
        }
        let outputType = kernel.body.resultTypes[0]
        let result: TensorValue
        do {
            result = try Interpreter().run(kernel.body, inputs: inputs)[0]
        } catch {
            preconditionFailure("InterpretedLoopKernel: a scheduled kernel body failed in the interpreter: \(error)")
        }
        let elementBytes = outputType.dtype.byteCount
        let bytes = result.deviceBytes
        let output = buffers[parameters.count]
        bytes.withUnsafeBytes { source in
            guard let base = source.baseAddress else { return }
            let start = range.lowerBound * elementBytes
            (output + start).copyMemory(from: base + start, byteCount: range.count * elementBytes)
        }
    }
}
