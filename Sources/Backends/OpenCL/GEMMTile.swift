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
    /// Columns per vector of a direct tile's item (`floatN` loads and multiply-adds), 1 for scalars:
    /// a work item then holds `itemColumns` vectors of each of its rows. Used for f32 products
    /// whose column count it divides, else the kernel falls back to scalars.
    public var vectorWidth: Int

    /// Creates a tile; `rows` and `columns` must be multiples of the item block.
    public init(rows: Int, columns: Int, depth: Int, itemRows: Int, itemColumns: Int, usesLocalMemory: Bool, vectorWidth: Int = 1) {
        self.rows = rows
        self.columns = columns
        self.depth = depth
        self.itemRows = itemRows
        self.itemColumns = itemColumns
        self.usesLocalMemory = usesLocalMemory
        self.vectorWidth = vectorWidth
    }

    /// Work items along the columns (dimension 0) and rows (dimension 1) of a group.
    var groupWidth: Int { columns / (itemColumns * vectorWidth) }
    var groupHeight: Int { rows / itemRows }
    /// Work items per group.
    var groupSize: Int { groupWidth * groupHeight }
    /// Local memory the tile stages, in bytes (4-byte compute values).
    var localBytes: Int { usesLocalMemory ? depth * (rows + columns) * 4 : 0 }

    /// `64x64x16 r4x4 local`, `16x256 r8x2xv16 direct`.
    public var description: String {
        "\(rows)x\(columns)" + (usesLocalMemory ? "x\(depth)" : "") + " r\(itemRows)x\(itemColumns)" + (vectorWidth > 1 ? "xv\(vectorWidth)" : "") + " " + (usesLocalMemory ? "local" : "direct")
    }

    /// Whether the tile is well formed and a device with these limits can launch it.
    func fits(maximumWorkGroupSize: Int, localMemoryBytes: Int) -> Bool {
        rows > 0 && columns > 0 && itemRows > 0 && itemColumns > 0 && depth > 0
            && [1, 2, 4, 8, 16].contains(vectorWidth) && (vectorWidth == 1 || !usesLocalMemory)
            && rows % itemRows == 0 && columns % (itemColumns * vectorWidth) == 0
            && groupSize <= maximumWorkGroupSize && localBytes <= localMemoryBytes
    }

    /// The tile used without tuning: GPU-style local-memory tiles on GPUs and accelerators,
    /// direct register blocks on CPU devices; small tiles for small products, so a tiny matmul
    /// does not launch a mostly idle group.
    static func standard(for problem: GEMMProblem, isCPU: Bool) -> GEMMTile {
        if problem.rows * problem.columns <= 1024 || problem.depth <= 8 {
            return GEMMTile(rows: 8, columns: 16, depth: 8, itemRows: 1, itemColumns: 2, usesLocalMemory: !isCPU)
        }
        return isCPU ? GEMMTile(rows: 16, columns: 256, depth: 1, itemRows: 8, itemColumns: 2, usesLocalMemory: false, vectorWidth: 16)
            : GEMMTile(rows: 64, columns: 64, depth: 16, itemRows: 4, itemColumns: 4, usesLocalMemory: true)
    }

    /// The handful of tiles the tuner times: local-memory tiles of several sizes and register blocks,
    /// and direct register blocks, some with tall groups whose rows share the right operand's
    /// columns while they are in cache.
    static let candidates: [GEMMTile] = [
        GEMMTile(rows: 64, columns: 64, depth: 16, itemRows: 4, itemColumns: 4, usesLocalMemory: true),
        GEMMTile(rows: 32, columns: 32, depth: 16, itemRows: 2, itemColumns: 2, usesLocalMemory: true),
        GEMMTile(rows: 128, columns: 64, depth: 16, itemRows: 8, itemColumns: 4, usesLocalMemory: true),
        GEMMTile(rows: 64, columns: 128, depth: 8, itemRows: 4, itemColumns: 8, usesLocalMemory: true),
        GEMMTile(rows: 8, columns: 128, depth: 1, itemRows: 8, itemColumns: 8, usesLocalMemory: false),
        GEMMTile(rows: 32, columns: 128, depth: 1, itemRows: 8, itemColumns: 8, usesLocalMemory: false),
        GEMMTile(rows: 8, columns: 256, depth: 1, itemRows: 8, itemColumns: 2, usesLocalMemory: false, vectorWidth: 16),
        GEMMTile(rows: 16, columns: 256, depth: 1, itemRows: 8, itemColumns: 2, usesLocalMemory: false, vectorWidth: 16),
        GEMMTile(rows: 32, columns: 256, depth: 1, itemRows: 8, itemColumns: 2, usesLocalMemory: false, vectorWidth: 16),
        GEMMTile(rows: 6, columns: 128, depth: 1, itemRows: 6, itemColumns: 2, usesLocalMemory: false, vectorWidth: 16),
        GEMMTile(rows: 16, columns: 128, depth: 1, itemRows: 8, itemColumns: 2, usesLocalMemory: false, vectorWidth: 8),
    ]
}
