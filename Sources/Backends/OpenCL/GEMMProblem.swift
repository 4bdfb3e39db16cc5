import KernelIR

/// A contraction as the GEMM kernel sees it: `batch` products of `rows × depth` by
/// `depth × columns`, and where each operand element and output element lives.
///
/// A matmul's batch is its (numpy-broadcast) batch dimensions. A channels-last convolution is an
/// implicit GEMM, one product per group: row `r` is an output position (batch-major), column `c`
/// an output channel of the group, and depth index `k = tap × c/g + channel` reads the input
/// element under that filter tap (0 in the padding), so no column matrix is ever written.
struct GEMMProblem: Hashable, Sendable {
    /// The operands' layout.
    enum Layout: Hashable, Sendable {
        case matmul(left: Shape, right: Shape, output: Shape)
        case convolution(input: Shape, filter: Shape, output: Shape, attributes: KernelIR.Convolution)
    }

    var layout: Layout
    /// The operands' and contraction's dtype.
    var dtype: DType
    var batch: Int
    var rows: Int
    var columns: Int
    var depth: Int

    /// The problem of `op` (a matmul or convolution) on operands `left`, `right` giving `output`,
    /// or `nil` for any other op.
    init?(op: Op, left: TensorType, right: TensorType, output: TensorType) {
        dtype = output.dtype
        switch op {
        case .matmul:
            let rank = output.rank
            layout = .matmul(left: left.shape, right: right.shape, output: output.shape)
            batch = output.shape.dimensions.dropLast(2).reduce(1, *)
            rows = output.shape[rank - 2]
            columns = output.shape[rank - 1]
            depth = left.shape[left.rank - 1]
        case let .convolution(attributes):
            layout = .convolution(input: left.shape, filter: right.shape, output: output.shape, attributes: attributes)
            let outputs = output.shape[output.rank - 1]
            batch = attributes.groups
            rows = output.elementCount / max(1, outputs)
            columns = outputs / max(1, attributes.groups)
            depth = right.shape.dimensions.dropLast().reduce(1, *)
        default:
            return nil
        }
    }

    /// Multiply-adds of the whole contraction.
    var multiplyAdds: Int { batch * rows * columns * depth }

    /// The tuning cache's key: dtype, operation, and each extent rounded up to a power of two,
    /// so nearby shapes share one tuned tile.
    var shapeClass: String {
        func bucket(_ extent: Int) -> Int { extent <= 1 ? 1 : 1 << (Int.bitWidth - (extent - 1).leadingZeroBitCount) }
        let operation = if case .matmul = layout { "matmul" } else { "conv" }
        return "\(dtype) \(operation) b\(bucket(batch)) m\(bucket(rows)) n\(bucket(columns)) k\(bucket(depth))"
    }

    /// C statements computing the element offset of the left operand at (`b`, `r`, `k`) into
    /// `offset`, with `inside` false where the element is padding (convolutions only).
    func leftOffset() -> (statements: [String], padded: Bool) {
        switch layout {
        case let .matmul(left, _, output):
            return (["const long offset = \(batchOffset(of: left, in: output)) + r * \(depth) + k;"], false)
        case let .convolution(input, filter, output, attributes):
            let spatialRank = input.rank - 2
            let channels = input[input.rank - 1]
            let groupChannels = channels / attributes.groups
            var lines = ["long rest = r;"]
            for axis in (0..<spatialRank).reversed() {
                lines.append("const long o\(axis) = rest % \(output[axis + 1]); rest /= \(output[axis + 1]);")
            }
            lines.append("const long n = rest;")
            lines.append("const long channel = k % \(groupChannels);")
            lines.append("long tap = k / \(groupChannels);")
            for axis in (0..<spatialRank).reversed() {
                lines.append("const long t\(axis) = tap % \(filter[axis]); tap /= \(filter[axis]);")
            }
            var conditions: [String] = []
            var offset = "n"
            for axis in 0..<spatialRank {
                lines.append("const long p\(axis) = o\(axis) * \(attributes.stride[axis]) + t\(axis) * \(attributes.dilation[axis]) - \(attributes.paddingLow[axis]);")
                conditions.append("p\(axis) >= 0 && p\(axis) < \(input[axis + 1])")
                offset = "(\(offset)) * \(input[axis + 1]) + p\(axis)"
            }
            lines.append("const int inside = \(conditions.isEmpty ? "1" : conditions.joined(separator: " && "));")
            lines.append("const long offset = inside ? (\(offset)) * \(channels) + b * \(groupChannels) + channel : 0;")
            return (lines, true)
        }
    }

    /// The element offset of the right operand at (`b`, `k`, `c`).
    func rightOffset() -> String {
        switch layout {
        case let .matmul(_, right, output):
            return "\(batchOffset(of: right, in: output)) + k * \(columns) + c"
        case let .convolution(_, _, output, _):
            return "k * \(output[output.rank - 1]) + b * \(columns) + c"
        }
    }

    /// The element offset of the output at (`b`, `r`, `c`).
    func outputOffset() -> String {
        switch layout {
        case .matmul:
            return "(b * \(rows) + r) * \(columns) + c"
        case let .convolution(_, _, output, _):
            return "r * \(output[output.rank - 1]) + b * \(columns) + c"
        }
    }

    /// The offset of product `b`'s matrix in `operand`, whose batch dimensions broadcast
    /// (right-aligned, size 1 repeats) to the output's.
    private func batchOffset(of operand: Shape, in output: Shape) -> String {
        let batchShape = Array(output.dimensions.dropLast(2))
        let operandBatch = Array(operand.dimensions.dropLast(2))
        let skipped = batchShape.count - operandBatch.count
        let strides = operand.strides
        var terms: [String] = []
        var inner = 1
        for axis in (0..<batchShape.count).reversed() {
            defer { inner *= batchShape[axis] }
            let operandAxis = axis - skipped
            guard operandAxis >= 0, operandBatch[operandAxis] != 1 else { continue }
            terms.append("((b / \(inner)) % \(batchShape[axis])) * \(strides[operandAxis])")
        }
        return terms.isEmpty ? "0" : "(" + terms.joined(separator: " + ") + ")"
    }
}
