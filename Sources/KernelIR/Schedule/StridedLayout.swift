/// How a contraction reads an operand in place from a buffer: the operand's shape and, for each
/// axis, the elements between neighbours in the buffer.
///
/// A chain of reshapes over a buffer, at most one slice among them and at most one permute above
/// them is such a view, so a matrix library can read head-split attention operands (`[b, n, h, d]`
/// seen as `[b, h, n, d]`), the q, k and v thirds of one projection, transposes and flattened
/// batches through its pointer, leading-dimension and transpose arguments, without the copy that
/// materializing the view would cost.
public struct StridedLayout: Hashable, Sendable {
    /// The operand's shape, as the contraction sees it.
    public var shape: Shape
    /// Elements between neighbours along each axis of ``shape``, in the buffer.
    public var strides: [Int]
    /// The buffer element holding the operand's first element.
    public var offset: Int

    /// The row-major layout of `shape`: the buffer holds the operand as it is.
    public init(contiguous shape: Shape) {
        self.shape = shape
        strides = shape.strides
        offset = 0
    }

    /// `base` sliced: elements `start[a], start[a] + step[a], ...` along each axis `a`, `shape` in all.
    init(_ base: StridedLayout, slicedFrom start: [Int], step: [Int], to shape: Shape) {
        self.shape = shape
        strides = zip(base.strides, step).map { $0 * $1 }
        offset = base.offset + zip(start, base.strides).map { $0 * $1 }.reduce(0, +)
    }

    /// `base` read in `shape` (same element count, row-major order), or `nil` when some run of axes
    /// that `shape` merges or splits is not evenly strided in the buffer.
    init?(_ base: StridedLayout, reshapedTo shape: Shape) {
        // Match runs of non-unit axes with equal element counts; within each run the base axes must be
        // contiguous with one another, and the new axes take strides from its innermost.
        let axes = base.shape.dimensions.indices.filter { base.shape[$0] != 1 }
        var strides = [Int](repeating: 0, count: shape.rank)
        var (old, new) = (0, 0)
        while old < axes.count || new < shape.rank {
            if new < shape.rank, shape[new] == 1 {
                new += 1
                continue
            }
            guard old < axes.count, new < shape.rank else { return nil }
            var (oldEnd, newEnd) = (old + 1, new + 1)
            var (oldCount, newCount) = (base.shape[axes[old]], shape[new])
            while oldCount != newCount {
                if oldCount < newCount {
                    guard oldEnd < axes.count else { return nil }
                    oldCount *= base.shape[axes[oldEnd]]
                    oldEnd += 1
                } else {
                    guard newEnd < shape.rank else { return nil }
                    newCount *= shape[newEnd]
                    newEnd += 1
                }
            }
            for position in old..<(oldEnd - 1) {
                let (outer, inner) = (axes[position], axes[position + 1])
                guard base.strides[outer] == base.strides[inner] * base.shape[inner] else { return nil }
            }
            var stride = base.strides[axes[oldEnd - 1]]
            for axis in (new..<newEnd).reversed() {
                strides[axis] = stride
                stride *= shape[axis]
            }
            (old, new) = (oldEnd, newEnd)
        }
        // Unit axes are never stepped; they get their row-major stride, so a contiguous base stays contiguous.
        for axis in shape.dimensions.indices.reversed() where shape[axis] == 1 {
            strides[axis] = axis + 1 < shape.rank ? strides[axis + 1] * shape[axis + 1] : 1
        }
        self.shape = shape
        self.strides = strides
        offset = base.offset
    }

    /// `shape` permuted: axis `i` of the result is axis `permutation[i]` of `base`.
    init(_ base: StridedLayout, permutedBy permutation: [Int]) {
        shape = Shape(permutation.map { base.shape[$0] })
        strides = permutation.map { base.strides[$0] }
        offset = base.offset
    }

    /// Whether the operand's elements lie in row-major order, one after another, from ``offset``.
    public var isRowMajor: Bool { strides == shape.strides }

    /// Whether the buffer holds the operand in row-major order from its first element.
    public var isContiguous: Bool { offset == 0 && isRowMajor }

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
    /// The value a matmul operand `index` reads through reshapes, at most one slice among them and
    /// at most one permute above them, with the layout that makes of its buffer, when the operand is
    /// such a chain and its matrices are readable in place (``StridedLayout/isMatrixReadable``).
    static func stridedSource(_ graph: Graph, _ index: Int) -> (source: Int, layout: StridedLayout)? {
        var current = index
        var permutation: [Int]?
        if let instruction = graph.instruction(defining: Value(index: current)), case let .permute(order) = instruction.op {
            permutation = order
            current = instruction.operands[0].index
        }
        // The views from the operand down to its source, outermost first.
        var views: [Instruction] = []
        var isSliced = false
        walk: while let instruction = graph.instruction(defining: Value(index: current)) {
            switch instruction.op {
            case .reshape: break
            case .slice where !isSliced: isSliced = true
            default: break walk
            }
            views.append(instruction)
            current = instruction.operands[0].index
        }
        guard current != index else { return nil }
        var layout = StridedLayout(contiguous: graph.type(of: Value(index: current)).shape)
        for view in views.reversed() {
            switch view.op {
            case let .slice(start, _, step):
                layout = StridedLayout(layout, slicedFrom: start, step: step, to: view.type.shape)
            default:
                guard let reshaped = StridedLayout(layout, reshapedTo: view.type.shape) else { return nil }
                layout = reshaped
            }
        }
        if let permutation { layout = StridedLayout(layout, permutedBy: permutation) }
        return layout.isMatrixReadable ? (current, layout) : nil
    }
}
