import KernelIR

/// A schedule compiled for a CPU device: one launch per kernel, the arena layout, and a pool of
/// arenas reused across runs.
final class CPUExecutable: Executable, Profiled {
    /// The device it was compiled for.
    let device: DeviceID
    /// The schedule it runs.
    let schedule: Schedule
    /// The kernels, in order.
    let steps: [CPUStep]
    /// Runs of consecutive steps executed slice by slice, in order (``SliceGroup``).
    let groups: [SliceGroup]
    /// Threads of the device's pool: slices of a group in flight at once, each with its scratch.
    let threads: Int
    /// Where slots and scratch lie in a run's arena.
    let layout: ArenaLayout
    /// Idle arenas.
    let arenas: ArenaPool
    /// Whether a run is so small (a few microseconds) that ``CPUDevice/execute(_:inputs:outputs:)``
    /// should run it on the caller rather than hop to the device queue.
    let runsInline: Bool
    /// Time per kernel, when `ACC_PROFILE=1`.
    let profile: KernelProfile?
    /// The results held in a planned slot of their own, which a run may point at the caller's
    /// output buffer instead of copying out: output index, table entry, and the slot's size.
    let directOutputCandidates: [(output: Int, entry: Int, slotBytes: Int)]

    /// FLOPs and bytes moved at or below which a run counts as tiny.
    static let inlineFLOPs = 1 << 16
    static let inlineBytes = 1 << 16

    /// Plans `schedule` for `device`, whose memory is on NUMA `node` and whose pool runs `threads`
    /// threads; `makeLoopKernels` builds the loop, reduction and epilogue kernels in one call.
    /// - Throws: ``BackendError/invalidProgram(_:_:)`` for a schedule whose kernels do not fit its
    ///   buffers, ``BackendError/notImplemented(_:_:)`` for contractions OpenBLAS cannot take, and
    ///   what `makeLoopKernels` throws.
    init(schedule: Schedule, device: DeviceID, node: Int?, threads: Int, makeLoopKernels: LoopKernelFactory) throws(BackendError) {
        try Self.validate(schedule, device: device)
        let inputCount = schedule.inputTypes.count
        let resultScratchIndex = inputCount + schedule.slotByteCounts.count
        var loopSources: [Kernel] = []
        for kernel in schedule.kernels {
            if kernel.kind == .contraction {
                if let epilogue = kernel.contractionParts?.epilogue { loopSources.append(epilogue) }
            } else {
                loopSources.append(kernel)
            }
        }
        let loopKernels = try makeLoopKernels(loopSources)
        guard loopKernels.count == loopSources.count else {
            throw .compilationFailed(device, kernel: schedule.name, log: "the kernel compiler returned \(loopKernels.count) kernels for \(loopSources.count)", source: "")
        }
        var nextLoopKernel = 0
        var steps: [CPUStep] = []
        var resultScratchBytes = 0
        var workScratchBytes = 0
        for kernel in schedule.kernels {
            let buffers = kernel.inputs.map(\.index) + [kernel.output.index]
            guard kernel.kind == .contraction else {
                steps.append(.loop(LoopLaunch(kernel: loopKernels[nextLoopKernel], for: kernel, buffers: buffers)))
                nextLoopKernel += 1
                continue
            }
            guard let parts = kernel.contractionParts,
                  parts.operandInputs.count == 2, parts.operandInputs.allSatisfy({ $0 < kernel.inputs.count }) else {
                throw .invalidProgram(device, .malformedGraph(function: schedule.name, reason: "contraction kernel '\(kernel.body.name)' does not read its operands from its inputs"))
            }
            let (leftType, rightType) = (kernel.body.parameters[parts.operandInputs[0]].type, kernel.body.parameters[parts.operandInputs[1]].type)
            let operation: ContractionLaunch.Operation
            switch parts.op {
            case .matmul:
                operation = .matmul(try GEMMPlan(left: parts.operandLayouts[0], right: parts.operandLayouts[1],
                                                 leftCount: leftType.elementCount, rightCount: rightType.elementCount,
                                                 output: parts.type, device: device))
            case let .convolution(attributes):
                operation = .convolution(try ConvolutionPlan(input: leftType, filter: rightType, output: parts.type, attributes: attributes, device: device))
            default:
                throw .invalidProgram(device, .malformedGraph(function: schedule.name, reason: "contraction kernel '\(kernel.body.name)' has no matmul or convolution"))
            }
            workScratchBytes = max(workScratchBytes, operation.scratchByteCount)
            var launch = ContractionLaunch(name: kernel.body.name, operation: operation,
                                           left: kernel.inputs[parts.operandInputs[0]].index, right: kernel.inputs[parts.operandInputs[1]].index,
                                           result: kernel.output.index, resultByteCount: parts.type.byteCount, epilogue: nil)
            if let epilogue = parts.epilogue {
                // In place only when each result element is exactly where its output element goes.
                let outputType = kernel.body.resultTypes[0]
                if outputType.dtype.byteCount != parts.type.dtype.byteCount {
                    launch.result = resultScratchIndex
                    resultScratchBytes = max(resultScratchBytes, parts.type.byteCount)
                }
                let epilogueBuffers = kernel.inputs.map(\.index) + [launch.result, kernel.output.index]
                launch.epilogue = LoopLaunch(kernel: loopKernels[nextLoopKernel], for: epilogue, buffers: epilogueBuffers)
                nextLoopKernel += 1
            }
            steps.append(.contraction(launch))
        }
        self.device = device
        self.schedule = schedule
        self.steps = steps
        groups = SliceGroup.isEnabled && threads > 1
            ? SliceGroup.plan(steps, kernels: schedule.kernels, threads: threads, outputs: Set(schedule.outputs.map(\.buffer.index))) : []
        // Grouped steps never use the contractions' working scratch (f32 matmuls only), so the
        // groups' slices share its region: one slice's scratch per thread.
        workScratchBytes = max(workScratchBytes, (groups.map(\.scratchBytes).max() ?? 0) * threads)
        self.threads = threads
        layout = ArenaLayout(inputCount: inputCount, slotByteCounts: schedule.slotByteCounts, resultScratchBytes: resultScratchBytes,
                             workScratchBytes: workScratchBytes, outputCount: schedule.outputs.count)
        arenas = ArenaPool(layout: layout, node: node)
        runsInline = schedule.flops <= Self.inlineFLOPs && schedule.bytesMoved <= Self.inlineBytes
        let slotOutputs = schedule.outputs.map(\.buffer).filter { !schedule.isInput($0) }
        directOutputCandidates = schedule.outputs.enumerated().compactMap { index, output in
            guard !schedule.isInput(output.buffer), slotOutputs.count(where: { $0 == output.buffer }) == 1 else { return nil }
            return (index, output.buffer.index, schedule.slotByteCounts[output.buffer.index - inputCount])
        }
        profile = KernelProfile.makeIfEnabled(kernels: zip(steps, schedule.kernels).map { ($0.name, $1.kind.rawValue) })
    }

    /// Checks that every kernel's buffers exist and are large enough for what it reads and
    /// writes, so that no schedule, however built, makes a kernel touch memory it does not own.
    static func validate(_ schedule: Schedule, device: DeviceID) throws(BackendError) {
        let inputCount = schedule.inputTypes.count
        func capacity(_ buffer: BufferID) -> Int? {
            if buffer.index >= 0, buffer.index < inputCount { return schedule.inputTypes[buffer.index].byteCount }
            let slot = buffer.index - inputCount
            return slot >= 0 && slot < schedule.slotByteCounts.count ? schedule.slotByteCounts[slot] : nil
        }
        func reject(_ reason: String) -> BackendError {
            .invalidProgram(device, .malformedGraph(function: schedule.name, reason: reason))
        }
        for (position, kernel) in schedule.kernels.enumerated() {
            guard kernel.body.parameters.count == kernel.inputs.count, kernel.body.results.count == 1 else {
                throw reject("kernel #\(position) has \(kernel.body.parameters.count) parameters for \(kernel.inputs.count) buffers and \(kernel.body.results.count) results")
            }
            for (buffer, parameter) in zip(kernel.inputs, kernel.body.parameters) {
                guard let bytes = capacity(buffer), bytes >= parameter.type.byteCount else {
                    throw reject("kernel #\(position) reads \(parameter.type) from \(buffer), which holds \(capacity(buffer).map { "\($0) bytes" } ?? "nothing")")
                }
            }
            let outputType = kernel.body.resultTypes[0]
            guard !schedule.isInput(kernel.output), let bytes = capacity(kernel.output), bytes >= outputType.byteCount else {
                throw reject("kernel #\(position) writes \(outputType) to \(kernel.output), which is an input or too small")
            }
        }
        for (buffer, type) in schedule.outputs {
            guard let bytes = capacity(buffer), bytes >= type.byteCount else {
                throw reject("result \(buffer) is not a buffer holding \(type)")
            }
        }
    }
}
