import KernelIR

/// One kernel of a compiled schedule, ready to launch. Buffers are named by their index in the
/// run's buffer table: schedule inputs, then planned slots, then ``ArenaLayout/resultScratchIndex``.
enum CPUStep: Sendable {
    /// A loop or reduction kernel, split over its output elements.
    case loop(LoopLaunch)
    /// A matmul or convolution, then its epilogue in place.
    case contraction(ContractionLaunch)

    /// The kernel's name, for errors.
    var name: String {
        switch self {
        case let .loop(launch): launch.kernel.name
        case let .contraction(launch): launch.name
        }
    }

    /// The table entries the step's code takes, in order: a loop's inputs and output, or a
    /// contraction's left, right and result followed by its epilogue's inputs and output.
    var arguments: [Int] {
        switch self {
        case let .loop(launch): launch.buffers
        case let .contraction(launch): [launch.left, launch.right, launch.result] + (launch.epilogue?.buffers ?? [])
        }
    }

    /// Whether the step reads `entry` before it writes it (`true`), writes it first (`false`), or
    /// does neither (`nil`).
    func readsFirst(_ entry: Int) -> Bool? {
        var runs: [(reads: ArraySlice<Int>, write: Int)]
        switch self {
        case let .loop(launch):
            runs = [(launch.buffers.dropLast(), launch.buffers[launch.buffers.count - 1])]
        case let .contraction(launch):
            runs = [([launch.left, launch.right], launch.result)]
            if let epilogue = launch.epilogue { runs.append((epilogue.buffers.dropLast(), epilogue.buffers[epilogue.buffers.count - 1])) }
        }
        for run in runs {
            if run.reads.contains(entry) { return true }
            if run.write == entry { return false }
        }
        return nil
    }
}

/// A ``LoopKernel`` with its buffers and how to split it.
struct LoopLaunch: Sendable {
    /// The code.
    var kernel: any LoopKernel
    /// Table indices: one per kernel input, then the output.
    var buffers: [Int]
    /// Output elements.
    var elementCount: Int
    /// The smallest range worth sending to another thread.
    var minimumChunk: Int

    /// Operations per chunk below which splitting costs more than it saves (a few microseconds).
    static let chunkWork = 1 << 15

    /// Launches `kernel` over `buffers`, split by its estimated work per output element. The
    /// interpreted fallback runs unsplit, since each call evaluates its whole body.
    init(kernel: any LoopKernel, for source: Kernel, buffers: [Int]) {
        self.kernel = kernel
        self.buffers = buffers
        elementCount = source.body.resultTypes.first?.elementCount ?? 0
        if kernel is InterpretedLoopKernel {
            minimumChunk = Int.max
        } else {
            let work = source.body.instructions.reduce(0) { $0 + $1.type.elementCount }
                + source.body.instructions.reduce(0) { total, instruction in
                    // A reduction reads its whole operand for its few outputs.
                    if case .reduce = instruction.op { total + source.body.type(of: instruction.operands[0]).elementCount } else { total }
                }
            minimumChunk = max(1, LoopLaunch.chunkWork / max(1, work / max(1, elementCount)))
        }
    }
}

/// A contraction kernel: the library call, then the epilogue.
struct ContractionLaunch: Sendable {
    /// The library call.
    enum Operation: Sendable {
        case matmul(GEMMPlan)
        case convolution(ConvolutionPlan)

        var scratchByteCount: Int {
            switch self {
            case let .matmul(plan): plan.scratchByteCount
            case let .convolution(plan): plan.scratchByteCount
            }
        }
    }

    /// The kernel's name, for errors.
    var name: String
    /// The library call.
    var operation: Operation
    /// Table indices of the two operands.
    var left: Int
    var right: Int
    /// Where the contraction writes: the kernel's output slot, or the result scratch when the
    /// epilogue changes the element size (a cast or comparison), so it cannot run in place.
    var result: Int
    /// Bytes of the contraction's result.
    var resultByteCount: Int
    /// The epilogue, reading the kernel's inputs and `result`, writing the output.
    var epilogue: LoopLaunch?
}
