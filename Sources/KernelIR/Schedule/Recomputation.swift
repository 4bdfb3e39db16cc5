/// Which values with several users fusion recomputes in each user's kernel instead of writing
/// them to memory once: XLA's producer duplication, for machines where a pass over memory costs
/// far more than the arithmetic that fills it.
///
/// A value is worth recomputing when it is elementwise, its fused expression is small and holds no
/// costly function (exp, log, sin, cos, rsqrt and pow, which backends compute in double precision
/// to match the interpreter's rounding), and the buffers that expression reads hold at most a
/// quarter more elements than the value itself: then
/// each user reads about what it would have read from the materialized value, and the write and
/// the separate kernel are saved. `exp(x - broadcast(max))` (x plus a row vector) qualifies;
/// `a + b` of two full-size tensors does not, since each user would read twice the bytes.
struct Recomputation {
    /// For each value, the materialized values and parameters its fused expression reads (itself
    /// when materialized), and the instructions the expression holds.
    private var leaves: [[Int]]
    private var size: [Int]
    private var isCostly: [Bool]

    /// The largest expression duplicated into every user.
    static let sizeLimit = 24
    /// The most users an expression is duplicated into.
    static let userLimit = 4

    init(parameterCount: Int, valueCount: Int) {
        leaves = (0..<valueCount).map { $0 < parameterCount ? [$0] : [] }
        size = [Int](repeating: 0, count: valueCount)
        isCostly = [Bool](repeating: false, count: valueCount)
    }

    /// Whether `op` is a function backends evaluate at many times an addition's cost.
    static func isCostly(_ op: Op) -> Bool {
        switch op {
        case let .unary(function): [.exp, .log, .sin, .cos, .rsqrt].contains(function)
        case .binary(.pow): true
        default: false
        }
    }

    /// Notes what `instruction`, defining value `index`, reads once fused with its unmaterialized operands.
    mutating func record(_ instruction: Instruction, at index: Int, isMaterialized: [Bool]) {
        guard !isMaterialized[index] else {
            materialize(index)
            return
        }
        var reads: [Int] = []
        var total = 1
        var costly = Self.isCostly(instruction.op)
        for operand in instruction.operands {
            for leaf in leaves[operand.index] where !reads.contains(leaf) { reads.append(leaf) }
            total += size[operand.index]
            costly = costly || isCostly[operand.index]
        }
        leaves[index] = reads
        size[index] = total
        isCostly[index] = costly
    }

    /// Records that value `index` is written to memory: its users read it, not its expression.
    mutating func materialize(_ index: Int) {
        leaves[index] = [index]
        size[index] = 0
        isCostly[index] = false
    }

    /// Whether value `index`, with `users` users, is cheaper recomputed in each than materialized.
    func isWorthRecomputing(_ instruction: Instruction, at index: Int, users: Int, in graph: Graph) -> Bool {
        guard Analysis.isElementwise(instruction.op), users <= Self.userLimit, size[index] <= Self.sizeLimit,
              !isCostly[index] else { return false }
        let elements = instruction.type.elementCount
        let read = leaves[index].reduce(0) { $0 + graph.type(of: Value(index: $1)).elementCount }
        return read * 4 <= elements * 5
    }
}
