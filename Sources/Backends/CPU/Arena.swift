import Synchronization

/// Where a run's planned slots and scratch lie in one allocation, computed once per executable.
struct ArenaLayout: Sendable {
    /// Schedule inputs: table entries `0..<inputCount`.
    let inputCount: Int
    /// Byte offset of each planned slot; slot `i` is table entry `inputCount + i`.
    let slotOffsets: [Int]
    /// Byte offset of the scratch a contraction writes when its epilogue cannot run in place.
    let resultScratchOffset: Int
    /// Byte offset of the contractions' working scratch (widened operands, column matrices).
    let workScratchOffset: Int
    /// Bytes in all.
    let byteCount: Int
    /// Result buffers a run copies out.
    let outputCount: Int

    /// The table entry of the result scratch.
    var resultScratchIndex: Int { inputCount + slotOffsets.count }
    /// Entries of a run's buffer table.
    var tableCount: Int { resultScratchIndex + 1 }

    /// Lays out `slotByteCounts` and the two scratch regions, each on a 64-byte boundary.
    init(inputCount: Int, slotByteCounts: [Int], resultScratchBytes: Int, workScratchBytes: Int, outputCount: Int) {
        func aligned(_ bytes: Int) -> Int { (bytes + NodeMemory.alignment - 1) & ~(NodeMemory.alignment - 1) }
        var offset = 0
        var slotOffsets: [Int] = []
        for bytes in slotByteCounts {
            slotOffsets.append(offset)
            offset += aligned(bytes)
        }
        self.inputCount = inputCount
        self.slotOffsets = slotOffsets
        resultScratchOffset = offset
        workScratchOffset = offset + aligned(resultScratchBytes)
        byteCount = workScratchOffset + aligned(workScratchBytes)
        self.outputCount = outputCount
    }
}

/// The memory of one run: planned slots, scratch, and the pointer tables kernels read.
///
/// A run takes an arena from its executable's ``ArenaPool`` and gives it back when done, so runs
/// in a steady state allocate nothing and concurrent runs never share one.
final class Arena: @unchecked Sendable {
    // Safe because: a run holds an arena exclusively (it is out of the pool, whose mutex hands it
    // over), so `table` and `outputs` are written by one thread at a time; the memory is owned
    // by `memory`, which is immutable.
    private let memory: NodeMemory
    /// Buffer addresses by table index: inputs (set per run), slots and the result scratch (fixed).
    let table: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// The caller's output buffers, set per run.
    let outputs: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// The contractions' working scratch.
    let workScratch: UnsafeMutableRawPointer

    /// Allocates an arena for `layout` on `node`, or returns `nil` when memory is short.
    init?(layout: ArenaLayout, node: Int?) {
        guard let memory = NodeMemory(byteCount: layout.byteCount, node: node) else { return nil }
        self.memory = memory
        let base = memory.pointer
        table = .allocate(capacity: layout.tableCount)
        table.initialize(repeating: base, count: layout.tableCount)
        for (slot, offset) in layout.slotOffsets.enumerated() { table[layout.inputCount + slot] = base + offset }
        table[layout.resultScratchIndex] = base + layout.resultScratchOffset
        outputs = .allocate(capacity: max(1, layout.outputCount))
        outputs.initialize(repeating: base, count: max(1, layout.outputCount))
        workScratch = base + layout.workScratchOffset
    }

    deinit {
        table.deallocate()
        outputs.deallocate()
    }
}

/// The idle arenas of one executable.
final class ArenaPool: Sendable {
    private let idle = Mutex<[Arena]>([])
    private let layout: ArenaLayout
    private let node: Int?

    /// Idle arenas kept; more concurrent runs than this allocate and free their own.
    static let capacity = 4

    init(layout: ArenaLayout, node: Int?) {
        self.layout = layout
        self.node = node
    }

    /// An idle arena, or a new one.
    /// - Throws: ``BackendError/outOfMemory(_:requested:available:)`` when none can be allocated.
    func take(device: DeviceID, freeBytes: () -> Int) throws(BackendError) -> Arena {
        if let arena = idle.withLock({ $0.popLast() }) { return arena }
        guard let arena = Arena(layout: layout, node: node) else {
            throw .outOfMemory(device, requested: layout.byteCount, available: freeBytes())
        }
        return arena
    }

    /// Returns an arena after a run.
    func give(_ arena: Arena) {
        idle.withLock { arenas in
            if arenas.count < ArenaPool.capacity { arenas.append(arena) }
        }
    }
}
