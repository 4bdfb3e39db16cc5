/// How a batch of equal matrix products is cut into tasks for the worker pool: each product into
/// `blocksPerProduct` blocks of rows (or of columns, when the product is wider than tall), so that
/// there are a few tasks per thread and no block is too thin for the GEMM kernel to run well.
///
/// Every task is one single-threaded `sgemm`: with OpenBLAS's own threads off, this is what keeps
/// both cores busy on one large product and on many small ones alike.
struct GEMMSplit: Sendable {
    /// The blocks each product is cut into.
    let blocksPerProduct: Int
    /// Products times blocks.
    let taskCount: Int
    /// The fewest tasks worth handing to another thread at once.
    let minimumChunk: Int
    private let rows: Int
    private let columns: Int
    private let splitsRows: Bool

    /// Tasks per thread: a few, so a core slowed by another process does not hold up the rest.
    static let tasksPerThread = 2
    /// The thinnest block worth a task, in rows or columns (a multiple of the kernels' register tiles).
    static let minimumBlock = 32

    init(products: Int, rows: Int, columns: Int, depth: Int, threads: Int) {
        self.rows = rows
        self.columns = columns
        splitsRows = rows >= columns
        let work = rows * columns * depth
        let wanted = threads > 1 && products * work > GEMMPlan.singleThreadedWork
            ? (threads * Self.tasksPerThread + products - 1) / products : 1
        let extent = splitsRows ? rows : columns
        let blocks = max(1, min(wanted, extent / Self.minimumBlock, max(1, work / GEMMPlan.singleThreadedWork)))
        blocksPerProduct = blocks
        taskCount = products * blocks
        minimumChunk = max(1, GEMMPlan.singleThreadedWork / max(1, work / blocks))
    }

    /// The rows and columns of block `index` of a product: boundaries fall on multiples of 16.
    func block(_ index: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let extent = splitsRows ? rows : columns
        func boundary(_ block: Int) -> Int { block == blocksPerProduct ? extent : min(extent, (extent * block / blocksPerProduct + 8) & ~15) }
        let range = boundary(index)..<boundary(index + 1)
        return splitsRows ? (range, 0..<columns) : (0..<rows, range)
    }
}
