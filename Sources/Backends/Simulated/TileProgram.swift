import KernelIR

/// A schedule lowered for a simulated device (DESIGN.md level 3): per kernel, how its work is
/// split into matrix-unit or vector-unit tiles that fit the on-chip buffers, what moves between
/// HBM and on-chip memory, and what it would cost (accelerators.md §5). Every time in it is
/// *modeled*, never measured.
public struct TileProgram: Hashable, Sendable {
    /// The device it was lowered for.
    public var device: DeviceID
    /// The profile's id.
    public var profileID: String
    /// One entry per schedule kernel, in order.
    public var kernels: [KernelTiles]
    /// The modeled cost of one run.
    public var cost: RunCost
}

/// One kernel's tiles, on-chip use and modeled cost.
public struct KernelTiles: Hashable, Sendable {
    /// The kernel's position in the schedule.
    public var index: Int
    /// The kernel's name (its output value's).
    public var name: String
    /// What the schedule asked for.
    public var kind: Kernel.Kind
    /// How the work is tiled.
    public var work: Work
    /// On-chip buffers the tiles occupy (one entry per role; a buffer may hold several).
    public var buffers: [BufferUse]
    /// The modeled cost.
    public var cost: KernelCost

    /// Matrix-unit or vector-unit tiling.
    public enum Work: Hashable, Sendable {
        /// A matmul or convolution on the matrix unit, with its epilogue on the vector unit.
        case matrix(MatrixTiles)
        /// An elementwise or reduction kernel on the vector unit.
        case vector(VectorTiles)
    }

    /// Peak bytes per on-chip buffer, summed over roles, with each buffer's capacity.
    public var peakOnChip: [(buffer: String, bytes: Int, capacity: Int, per: String)] {
        var order: [String] = []
        var totals: [String: (bytes: Int, capacity: Int, per: String)] = [:]
        for use in buffers {
            if totals[use.buffer] == nil { order.append(use.buffer) }
            let bytes = (totals[use.buffer]?.bytes ?? 0) + use.bytes
            totals[use.buffer] = (bytes, use.capacity, use.per)
        }
        return order.compactMap { name in totals[name].map { (name, $0.bytes, $0.capacity, $0.per) } }
    }
}

/// The dimensions of a (batched) matrix product: `batch` independent `[m, k] × [k, n]` products.
public struct GEMMShape: Hashable, Sendable, CustomStringConvertible {
    /// Independent products (matmul batch, or convolution groups).
    public var batch: Int
    /// Rows of the left operand and the result.
    public var m: Int
    /// Columns of the right operand and the result.
    public var n: Int
    /// The contraction depth.
    public var k: Int

    /// Creates a shape.
    public init(batch: Int = 1, m: Int, n: Int, k: Int) {
        self.batch = batch
        self.m = m
        self.n = n
        self.k = k
    }

    /// `2·batch·m·n·k`.
    public var flops: Int { 2 * batch * m * n * k }

    /// `MxNxK`, with the batch when there is one.
    public var description: String { (batch > 1 ? "\(batch)x" : "") + "[\(m)x\(n)x\(k)]" }
}

/// How a matmul or convolution is split for the matrix unit (accelerators.md §5 Levels 1–2).
public struct MatrixTiles: Hashable, Sendable {
    /// The op as text, e.g. `matmul f32[64, 96] x f32[96, 32]`.
    public var operation: String
    /// The product's true dimensions (a convolution as its implicit im2col GEMM per group).
    public var problem: GEMMShape
    /// The dimensions padded to the native tile.
    public var padded: GEMMShape
    /// The native tile (m, n, k) padding follows.
    public var tile: GEMMShape
    /// The block each unit computes at a time (multiples of the tile).
    public var block: GEMMShape
    /// Ascend's L1 stage depth (a multiple of the block's k), `nil` elsewhere.
    public var stageDepth: Int?
    /// The storage dtype of the operands.
    public var operandDType: DType
    /// How operands enter the unit (`nil` for `i32`, which the simulator accumulates exactly).
    public var precision: MatrixPrecision?
    /// Blocks in all.
    public var blockCount: Int
    /// Units sharing the blocks.
    public var units: Int
    /// `⌈blocks / units⌉`.
    public var waves: Int
    /// TPU only: independent 128-wide work items per block (`w` of §5); 4 keep all MXUs busy.
    public var workItems: Int?
    /// Vector ops of the fused epilogue, per output element.
    public var epilogueOps: Int
}

/// How an elementwise or reduction kernel is split for the vector unit.
public struct VectorTiles: Hashable, Sendable {
    /// Points of the kernel's iteration space (its largest value).
    public var elements: Int
    /// Points per tile.
    public var tileElements: Int
    /// Tiles in all.
    public var tileCount: Int
    /// Vector units sharing the tiles.
    public var units: Int
    /// Bytes moved per point (inputs and output, as stored in HBM).
    public var bytesPerElement: Double
    /// The dtype arithmetic is carried in.
    public var computeDType: DType
    /// Whether the kernel ends in a reduction.
    public var isReduction: Bool
}

/// One role an on-chip buffer plays in a kernel's tiles.
public struct BufferUse: Hashable, Sendable {
    /// The profile's buffer name (`L0A`, `VMEM`, `SBUF_partition`, ...).
    public var buffer: String
    /// What it holds, e.g. `A tiles` or `accumulator`.
    public var role: String
    /// Bytes used, per instance of the buffer.
    public var bytes: Int
    /// The buffer's size, per instance.
    public var capacity: Int
    /// What one instance belongs to (`core`, `partition`, `chip`, `vector_core`).
    public var per: String
    /// Whether the role holds two tiles so DMA overlaps compute.
    public var isDoubleBuffered: Bool
}
