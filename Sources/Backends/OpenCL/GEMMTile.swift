/// How a GEMM kernel splits its output: a work-group computes a `rows × columns` tile, each work
/// item `itemRows × itemColumns` of it held in registers (strided by the group's width and height,
/// so neighbouring items touch neighbouring columns), stepping through the shared dimension
/// `depth` at a time.
///
/// With ``usesLocalMemory`` the group first stages each `rows × depth` and `depth × columns` slab
/// in local memory (the classic GPU tiling); without, each item reads its operands straight from
/// global memory, which suits devices whose caches do that staging (CPUs). The tuner picks.
public struct GEMMTile: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Output rows per work-group.
    public var rows: Int
    /// Output columns per work-group.
    public var columns: Int
    /// Shared-dimension elements staged per step (local-memory tiles only).
    public var depth: Int
    /// Output rows per work item.
    public var itemRows: Int
    /// Output columns per work item.
    public var itemColumns: Int
    /// Whether operand slabs are staged in local memory.
    public var usesLocalMemory: Bool

    /// Creates a tile; `rows` and `columns` must be multiples of the item block.
    public init(rows: Int, columns: Int, depth: Int, itemRows: Int, itemColumns: Int, usesLocalMemory: Bool) {
        self.rows = rows
        self.columns = columns
        self.depth = depth
        self.itemRows = itemRows
        self.itemColumns = itemColumns
        self.usesLocalMemory = usesLocalMemory
    }

    /// Work items along the columns (dimension 0) and rows (dimension 1) of a group.
    var groupWidth: Int { columns / itemColumns }
    var groupHeight: Int { rows / itemRows }
    /// Work items per group.
    var groupSize: Int { groupWidth * groupHeight }
    /// Local memory the tile stages, in bytes (4-byte compute values).
    var localBytes: Int { usesLocalMemory ? depth * (rows + columns) * 4 : 0 }

    /// `64x64x16 r4x4 local`.
    public var description: String {
        "\(rows)x\(columns)" + (usesLocalMemory ? "x\(depth)" : "") + " r\(itemRows)x\(itemColumns) " + (usesLocalMemory ? "local" : "direct")
    }

    /// Whether the tile is well formed and a device with these limits can launch it.
    func fits(maximumWorkGroupSize: Int, localMemoryBytes: Int) -> Bool {
        rows > 0 && columns > 0 && itemRows > 0 && itemColumns > 0 && depth > 0
            && rows % itemRows == 0 && columns % itemColumns == 0
            && groupSize <= maximumWorkGroupSize && localBytes <= localMemoryBytes
    }

    /// The tile used without tuning: GPU-style local-memory tiles on GPUs and accelerators,
    /// direct register blocks on CPU devices; small tiles for small products, so a tiny matmul
    /// does not launch a mostly idle group.
    static func standard(for problem: GEMMProblem, isCPU: Bool) -> GEMMTile {
        if problem.rows * problem.columns <= 1024 || problem.depth <= 8 {
            return GEMMTile(rows: 8, columns: 16, depth: 8, itemRows: 1, itemColumns: 2, usesLocalMemory: !isCPU)
        }
        return isCPU ? GEMMTile(rows: 8, columns: 64, depth: 1, itemRows: 4, itemColumns: 4, usesLocalMemory: false)
            : GEMMTile(rows: 64, columns: 64, depth: 16, itemRows: 4, itemColumns: 4, usesLocalMemory: true)
    }

    /// The handful of tiles the tuner times: local-memory tiles of several sizes and register blocks,
    /// and direct register blocks.
    static let candidates: [GEMMTile] = [
        GEMMTile(rows: 64, columns: 64, depth: 16, itemRows: 4, itemColumns: 4, usesLocalMemory: true),
        GEMMTile(rows: 32, columns: 32, depth: 16, itemRows: 2, itemColumns: 2, usesLocalMemory: true),
        GEMMTile(rows: 128, columns: 64, depth: 16, itemRows: 8, itemColumns: 4, usesLocalMemory: true),
        GEMMTile(rows: 64, columns: 128, depth: 8, itemRows: 4, itemColumns: 8, usesLocalMemory: true),
        GEMMTile(rows: 8, columns: 64, depth: 1, itemRows: 4, itemColumns: 4, usesLocalMemory: false),
        GEMMTile(rows: 16, columns: 128, depth: 1, itemRows: 4, itemColumns: 8, usesLocalMemory: false),
        GEMMTile(rows: 8, columns: 128, depth: 1, itemRows: 8, itemColumns: 8, usesLocalMemory: false),
        GEMMTile(rows: 4, columns: 256, depth: 1, itemRows: 4, itemColumns: 16, usesLocalMemory: false),
    ]
}
