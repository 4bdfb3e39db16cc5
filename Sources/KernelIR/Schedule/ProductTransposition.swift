/// A product read only through a permute that swaps its matrices' axes, computed transposed
/// instead: `permute(a b)` with the last two axes swapped is `b^T a^T`, whose operands a matrix
/// library reads transposed for free.
///
/// Attention's key gradient is the case in point: autodiff gives `q^T dS` (`[b, h, d, n]`), which
/// the q/k/v gradient assembly reads as `[b, n, h, d]`: a gather with a stride of `n` per element.
/// Computed as `dS^T q` it is `[b, h, n, d]`, read in runs of `d` like the query and value gradients.
struct ProductTransposition {
    /// `graph` with every `permute(matmul(a, b), p)` whose matmul has no other user and whose
    /// permutation `p` moves the matrix axes as a transpose followed by `q` replaced by
    /// `permute(matmul(permute(b, t), permute(a, t)), q)`, `t` the transpose of the last two axes.
    func run(_ graph: Graph) -> Graph {
        var users = Analysis.users(of: graph).map(\.count)
        for result in graph.results { users[result.index] += 1 }
        var changed = false
        let rewritten = GraphRewriter.rewriting(graph) { rewriter, instruction in
            let source = graph.instructions[rewriter.sourceValue.index - graph.parameters.count]
            guard case let .permute(permutation) = instruction.op, users[source.operands[0].index] == 1,
                  let product = rewriter.definition(of: instruction.operands[0]), case .matmul = product.op,
                  let rest = Self.afterTranspose(permutation)
            else { return rewriter.append(instruction) }
            let rank = permutation.count
            func transposed(_ value: Value) -> Value {
                var shape = rewriter.type(of: value).shape.dimensions
                shape.swapAt(shape.count - 1, shape.count - 2)
                // Operands of lower rank broadcast over the batch; their own matrix axes are swapped,
                // composed with a permute that defines them so the library still sees one view.
                var order = Array(0..<(shape.count - 2)) + [shape.count - 1, shape.count - 2]
                var source = value
                if let inner = rewriter.definition(of: value), case let .permute(first) = inner.op {
                    order = order.map { first[$0] }
                    source = inner.operands[0]
                }
                return rewriter.append(Instruction(op: .permute(order), operands: [source],
                                                   type: TensorType(rewriter.type(of: value).dtype, Shape(shape)),
                                                   name: product.name + "_t", location: product.location))
            }
            var resultShape = product.type.shape.dimensions
            resultShape.swapAt(rank - 1, rank - 2)
            let swapped = rewriter.append(Instruction(op: .matmul, operands: [transposed(product.operands[1]), transposed(product.operands[0])],
                                                      type: TensorType(product.type.dtype, Shape(resultShape)),
                                                      name: product.name + "_transposed", location: product.location))
            changed = true
            guard rest != Array(0..<rank) else { return swapped }
            return rewriter.append(instruction.replaced(by: .permute(rest), [swapped]))
        }
        return changed ? DeadCodeElimination().run(rewritten) : graph
    }

    /// `q` with `permutation` = `q ∘ t` (result axis `i` is axis `t[q[i]]`), `t` the transpose of
    /// the last two axes, when `permutation` swaps the matrix axes' order; `nil` when it keeps it.
    static func afterTranspose(_ permutation: [Int]) -> [Int]? {
        let rank = permutation.count
        guard rank >= 2, let rowsAt = permutation.firstIndex(of: rank - 2), let columnsAt = permutation.firstIndex(of: rank - 1),
              columnsAt < rowsAt else { return nil }
        // Applying t first exchanges which source axis each of those positions names.
        var rest = permutation
        rest[rowsAt] = rank - 1
        rest[columnsAt] = rank - 2
        return rest
    }
}
