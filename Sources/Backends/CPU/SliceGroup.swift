import Foundation
import KernelIR

/// Consecutive steps of a CPU executable that run slice by slice: each thread takes a slice and
/// runs every step of the group on it, so what one step writes is still in the core's cache when
/// the next reads it, and the group waits for the other threads once instead of once per step.
///
/// A transformer block is the case in point: its forward pass, or its attention backward, works
/// sample by sample, so one thread can take a few samples through the scores, softmax, products and
/// normalizations while the other takes the next few, and the temporaries of those samples stay in
/// the thread's scratch (``ScratchBuffer``) instead of making trips through memory.
///
/// Slice `g` of `slices` is the `g`-th of `slices` equal runs of a step's output elements (of its
/// rows, for a matmul). Steps join a group only while this is safe: every buffer a member writes and
/// a later member reads is read slice-aligned (``SliceReads``, ``GEMMPlan/operandSpans(ofSlice:of:)``),
/// and a member writes a buffer an earlier member touched (a slot reused by the memory plan) only
/// when every earlier access to it was slice-aligned at the size it writes.
struct SliceGroup: Sendable, Equatable {
    /// The steps, by position in the executable.
    let steps: Range<Int>
    /// The slices each step is cut into.
    let slices: Int
    /// Buffers that live only inside the group, kept slice by slice in scratch (``ScratchBuffer``).
    var scratch: [ScratchBuffer] = []
    /// Scratch bytes one slice in flight needs.
    var scratchBytes: Int { scratch.last.map { $0.offset + $0.sliceBytes } ?? 0 }
    /// Table entries of every member's buffers, member after member (``CPUStep/arguments``).
    private(set) var arguments: [Int] = []
    /// Where each member's buffers start in ``arguments``.
    private(set) var argumentStarts: [Int] = []
    /// The positions in ``arguments`` that name a scratch buffer, with that buffer.
    private(set) var scratchArguments: [ScratchArgument] = []

    /// A position in ``arguments`` that each slice points into its scratch region.
    struct ScratchArgument: Sendable, Equatable {
        let position: Int
        let buffer: ScratchBuffer
    }

    /// Slice counts tried for a group on `threads` threads: two to four slices per thread, so a
    /// thread slowed by another process does not hold up the rest, while each slice stays a sizeable
    /// piece of work for the matrix library (smaller slices measured slower on vdit-s).
    static func sliceCounts(threads: Int) -> ClosedRange<Int> { (2 * threads)...(4 * threads) }

    /// Kernels a freed buffer slot waits before the memory plan gives it to a value of another size
    /// (``Fusion/Options/slotReuseDistance``), so that a group's members rarely overwrite a slot an
    /// earlier member read at another slicing: on vdit-s each block's forward and attention backward
    /// then run as one group each (47 groups a step, were 72), and peak memory falls from 166 to
    /// 142 MB, since values of one size now share slots. 16 and 64 kernels measured the same.
    static let slotReuseDistance = 32

    /// Whether executables group steps: on unless `ACC_SLICE_GROUPS=0`, which runs every step alone
    /// (for comparing the two).
    static let isEnabled = ProcessInfo.processInfo.environment["ACC_SLICE_GROUPS"] != "0"

    /// The groups of `steps`, each `kernels[i]` the schedule kernel of `steps[i]`, in order; steps
    /// outside every group run alone. `outputs` are the table entries holding the run's results.
    static func plan(_ steps: [CPUStep], kernels: [Kernel], threads: Int, outputs: Set<Int>) -> [SliceGroup] {
        var groups: [SliceGroup] = []
        var start = 0
        while start < steps.count {
            let candidates = Self.candidateSliceCounts(of: kernels[start], within: sliceCounts(threads: threads))
            var best: SliceGroup?
            for slices in candidates {
                let end = Self.extent(from: start, slices: slices, steps: steps, kernels: kernels)
                if end - start >= 2, end - start >= best?.steps.count ?? 0 { best = SliceGroup(steps: start..<end, slices: slices) }
            }
            if var best {
                best.scratch = Self.scratchBuffers(of: best, steps: steps, kernels: kernels, outputs: outputs)
                best.bindArguments(steps)
                groups.append(best)
                start = best.steps.upperBound
            } else {
                start += 1
            }
        }
        return groups
    }

    /// Lays out the members' buffers once, so a launch only binds pointers.
    private mutating func bindArguments(_ steps: [CPUStep]) {
        for step in steps[self.steps] {
            argumentStarts.append(arguments.count)
            arguments += step.arguments
        }
        let byEntry = Dictionary(uniqueKeysWithValues: scratch.map { ($0.entry, $0) })
        scratchArguments = arguments.indices.compactMap { position in
            byEntry[arguments[position]].map { ScratchArgument(position: position, buffer: $0) }
        }
    }

    /// The divisors within `counts` of the products of the leading axes of `kernel`'s output
    /// (its matmul's result for a contraction), ascending.
    static func candidateSliceCounts(of kernel: Kernel, within counts: ClosedRange<Int>) -> [Int] {
        let shape = kernel.contractionParts?.type.shape ?? kernel.body.resultTypes[0].shape
        var product = 1
        var candidates: Set<Int> = []
        for size in shape.dimensions.dropLast() {
            product *= size
            candidates.formUnion(counts.filter { product % $0 == 0 })
        }
        return candidates.sorted()
    }

    /// The end of the longest run of steps from `start` that can run in `slices` slices together.
    ///
    /// A member may read a buffer an earlier member wrote only slice-aligned and at the size written,
    /// and may write a buffer earlier members touched (a slot the memory plan reuses) only when every
    /// earlier access to it was slice-aligned at the size it writes: then slice `g` overwrites only
    /// what slice `g`, on the same thread and earlier, has finished with.
    static func extent(from start: Int, slices: Int, steps: [CPUStep], kernels: [Kernel]) -> Int {
        var written: [Int: Int] = [:]
        // Per touched buffer: the byte count of its slices when every access so far was aligned, else nil.
        var touched: [Int: Int?] = [:]
        var end = start
        while end < steps.count, let access = SlicedAccess(steps[end], kernel: kernels[end], slices: slices) {
            let ownWrites = Set(access.writes.map(\.entry))
            guard access.writes.allSatisfy({ write in touched[write.entry].map { $0 == write.byteCount } ?? true }),
                  access.reads.allSatisfy({ read in
                      ownWrites.contains(read.entry) || written[read.entry].map { $0 == read.byteCount && read.isAligned } ?? true
                  })
            else { break }
            for read in access.reads where !ownWrites.contains(read.entry) {
                let aligned: Int? = read.isAligned ? read.byteCount : nil
                touched[read.entry] = .some(touched[read.entry].map { $0 == aligned ? aligned : nil } ?? aligned)
            }
            for write in access.writes {
                written[write.entry] = write.byteCount
                touched[write.entry] = .some(write.byteCount)
            }
            end += 1
        }
        return end
    }
}

/// The buffers one step touches when it runs in slices: each read with whether every slice reads
/// only its own slice of it, and each write.
struct SlicedAccess {
    var reads: [(entry: Int, byteCount: Int, isAligned: Bool)] = []
    var writes: [(entry: Int, byteCount: Int)] = []

    /// The access of `step` (compiled from `kernel`) in `slices` slices, or `nil` when it cannot run in them.
    init?(_ step: CPUStep, kernel: Kernel, slices: Int) {
        switch step {
        case let .loop(launch):
            guard let reads = Self.loopReads(launch, body: kernel.body, slices: slices) else { return nil }
            self.reads = reads
            writes = [(launch.buffers[launch.buffers.count - 1], kernel.body.resultTypes[0].byteCount)]
        case let .contraction(launch):
            guard case let .matmul(plan) = launch.operation, plan.isSliceable(into: slices),
                  let parts = kernel.contractionParts else { return nil }
            let operandTypes = parts.operandInputs.map { kernel.body.parameters[$0].type }
            var spans: [(left: ClosedRange<Int>?, right: ClosedRange<Int>?)] = []
            for slice in 0..<slices { spans.append(plan.operandSpans(ofSlice: slice, of: slices)) }
            func isAligned(_ span: (Int) -> ClosedRange<Int>?, elements: Int) -> Bool {
                elements % slices == 0 && (0..<slices).allSatisfy { slice in
                    span(slice).map { $0.lowerBound >= slice * elements / slices && $0.upperBound < (slice + 1) * elements / slices } ?? true
                }
            }
            reads = [(launch.left, operandTypes[0].byteCount, isAligned({ spans[$0].left }, elements: operandTypes[0].elementCount)),
                     (launch.right, operandTypes[1].byteCount, isAligned({ spans[$0].right }, elements: operandTypes[1].elementCount))]
            writes = [(launch.result, launch.resultByteCount)]
            if let epilogue = launch.epilogue, let epilogueKernel = parts.epilogue {
                guard let epilogueReads = Self.loopReads(epilogue, body: epilogueKernel.body, slices: slices) else { return nil }
                reads += epilogueReads
                let output = epilogue.buffers[epilogue.buffers.count - 1]
                if output != launch.result { writes.append((output, epilogueKernel.body.resultTypes[0].byteCount)) }
            }
        }
    }

    /// The reads of a loop launch over `body`, or `nil` when it cannot run in `slices` slices: an
    /// interpreted kernel, an empty one, or one whose output is written past the caches.
    private static func loopReads(_ launch: LoopLaunch, body: Graph, slices: Int) -> [(entry: Int, byteCount: Int, isAligned: Bool)]? {
        guard launch.minimumChunk != Int.max, launch.elementCount > 0,
              body.resultTypes[0].byteCount < CFamilyRenderer.streamingStoreBytes,
              let analysis = SliceReads(of: body, slices: slices) else { return nil }
        return body.parameters.indices.map { (launch.buffers[$0], body.parameters[$0].type.byteCount, analysis.alignedParameters[$0]) }
    }
}
