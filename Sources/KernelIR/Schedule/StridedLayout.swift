/// How a contraction reads an operand in place from a buffer: the operand's shape and, for each
/// axis, the elements between neighbours in the buffer.
///
/// A chain of reshapes over a buffer and at most one permute above them is such a view, so a
/// matrix library can read head-split attention operands (`[b, n, h, d]` seen as `[b, h, n, d]`),
/// transposes and flattened batches through its leading-dimension and transpose arguments,
/// without the copy that materializing the view would cost.
public struct StridedLayout: Hashable, Sendable {
    /// The operand's shape, as the contraction sees it.
    public var shape: Shape
    /// Elements between neighbours along each axis of ``shape``, in the buffer.
    public var strides: [Int]

    /// The row-major layout of `shape`: the buffer holds the operand as it is.
    public init(contiguous shape: Shape) {
        self.shape = shape
        strides = shape.strides
    }

    /// `shape` permuted: axis `i` of the result is axis `permutation[i]` of `base`.
    init(_ base: StridedLayout, permutedBy permutation: [Int]) {
        shape = Shape(permutation.map { base.shape[$0] })
        strides = permutation.map { base.strides[$0] }
    }

    /// Whether the buffer holds the operand in row-major order.
    public var isContiguous: Bool { strides == shape.strides }

    /// Whether the matrices (the last two axes) have a unit stride along their columns or rows
    /// and a leading dimension that covers the unit axis, as BLAS requires (empty matrices always are).
    public var isMatrixReadable: Bool {
        let rank = shape.rank
        guard rank >= 2 else { return false }
        let (rows, columns) = (shape[rank - 2], shape[rank - 1])
        let (rowStride, columnStride) = (strides[rank - 2], strides[rank - 1])
        guard rows > 0, columns > 0 else { return true }
        return (columnStride == 1 && rowStride >= max(1, columns)) || (rowStride == 1 && columnStride >= max(1, rows))
    }

    /// Whether the matrices are stored transposed: consecutive elements run down their columns.
    public var isTransposed: Bool {
        let rank = shape.rank
        return strides[rank - 1] != 1 && strides[rank - 2] == 1
    }
}

extension Analysis {
    /// The value a matmul operand `index` reads through reshapes and at most one permute above
    /// them, with the layout that makes of its buffer, when the operand is such a chain and its
    /// matrices are readable in place (``StridedLayout/isMatrixReadable``).
    static func stridedSource(_ graph: Graph, _ index: Int) -> (source: Int, layout: StridedLayout)? {
        var current = index
        var permutation: [Int]?
        if let instruction = graph.instruction(defining: Value(index: current)), case let .permute(order) = instruction.op {
            permutation = order
            current = instruction.operands[0].index
        }
        let viewed = current
        while let instruction = graph.instruction(defining: Value(index: current)), case .reshape = instruction.op {
            current = instruction.operands[0].index
        }
        guard current != index else { return nil }
        let base = StridedLayout(contiguous: graph.type(of: Value(index: viewed)).shape)
        let layout = permutation.map { StridedLayout(base, permutedBy: $0) } ?? base
        return layout.isMatrixReadable ? (current, layout) : nil
    }
}
