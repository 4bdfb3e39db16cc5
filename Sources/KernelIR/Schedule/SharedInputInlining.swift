/// Values fusion wrote to memory because several kernels use them, which each of those kernels
/// can compute itself from buffers it reads anyway: inlining them saves a kernel, a write and a
/// read, and costs no memory traffic.
///
/// A gradient's backward chains are the case in point: the gelu derivative of an MLP is one
/// elementwise expression of the pre-activation and the incoming gradient, split by autodiff into
/// pieces with several users each (`3 x^2` becomes sums of products), and materialized piece by
/// piece. Every piece reads only the two buffers its final user reads as well, so the whole
/// derivative becomes one kernel.
///
/// A candidate is an elementwise value materialized for having several users (not a result nor
/// a contraction operand), whose reading kernels all read every buffer its own kernel reads and
/// produce no more elements than it has (no broadcast repeats its arithmetic). With one reader the
/// expression just moves; with several it is duplicated, so it must be small and hold no costly
/// function (``Recomputation``). Values are visited from the last to the first, so a chain of
/// such pieces folds into its final reader.
struct SharedInputInlining {
    /// The largest expression moved into a single reader.
    static let sizeLimit = 64

    /// `isMaterialized` with the candidates that qualify turned off; `required` marks what must
    /// stay materialized (parameters, results, contraction operands and outputs, reductions).
    static func inlined(_ graph: Graph, isMaterialized: [Bool], required: [Bool]) -> [Bool] {
        var isMaterialized = isMaterialized
        let parameterCount = graph.parameters.count
        var inputs: [Int: Set<Int>] = [:]
        var expression: [Int: (size: Int, isCostly: Bool)] = [:]
        var readers: [Int: Set<Int>] = [:]
        for root in parameterCount..<graph.valueCount where isMaterialized[root] {
            let kernel = Self.kernelInputs(of: root, in: graph, isMaterialized: isMaterialized)
            inputs[root] = kernel.inputs
            expression[root] = (kernel.size, kernel.isCostly)
            for input in kernel.inputs where input >= parameterCount { readers[input, default: []].insert(root) }
        }
        for value in (parameterCount..<graph.valueCount).reversed() where isMaterialized[value] && !required[value] {
            guard let instruction = graph.instruction(defining: Value(index: value)), Analysis.isElementwise(instruction.op),
                  let own = inputs[value], let cost = expression[value], let consumers = readers[value], !consumers.isEmpty
            else { continue }
            let duplicated = consumers.count > 1
            guard duplicated ? consumers.count <= Recomputation.userLimit && cost.size <= Recomputation.sizeLimit && !cost.isCostly
                             : cost.size <= Self.sizeLimit else { continue }
            let elements = instruction.type.elementCount
            guard consumers.allSatisfy({ consumer in
                guard let theirs = inputs[consumer] else { return false }
                return own.isSubset(of: theirs.subtracting([value]))
                    && graph.type(of: Value(index: consumer)).elementCount <= elements
            }) else { continue }
            isMaterialized[value] = false
            for consumer in consumers {
                inputs[consumer]?.remove(value)
                if let current = expression[consumer] {
                    expression[consumer] = (current.size + cost.size, current.isCostly || cost.isCostly)
                }
            }
            for input in own where input >= parameterCount {
                readers[input]?.remove(value)
                readers[input, default: []].formUnion(consumers)
            }
            inputs[value] = nil
            readers[value] = nil
        }
        return isMaterialized
    }

    /// The buffers the kernel rooted at `root` reads, the instructions it holds, and whether any is costly.
    static func kernelInputs(of root: Int, in graph: Graph, isMaterialized: [Bool]) -> (inputs: Set<Int>, size: Int, isCostly: Bool) {
        var inputs: Set<Int> = []
        var visited: Set<Int> = [root]
        var stack = [root]
        var size = 0
        var isCostly = false
        while let index = stack.popLast() {
            guard let instruction = graph.instruction(defining: Value(index: index)) else { continue }
            size += 1
            isCostly = isCostly || Recomputation.isCostly(instruction.op)
            for operand in instruction.operands where visited.insert(operand.index).inserted {
                if operand.index < graph.parameters.count || isMaterialized[operand.index] {
                    inputs.insert(operand.index)
                } else {
                    stack.append(operand.index)
                }
            }
        }
        return (inputs, size, isCostly)
    }
}
