/// Recomputes cheap elementwise values for their distant users instead of keeping them in memory
/// between: XLA's rematerialization, for a training step whose backward pass reads values the
/// forward pass computed long before.
///
/// Attention probabilities `p = e / s`, an MLP's activation `gelu(h)` and a layer norm's modulated
/// output are each read right away by a matrix product of the forward pass and again by the
/// backward pass, which also reads `e` and `s`, `h`, or the layer norm's input and statistics.
/// Computing such a value a second time, from buffers that are kept anyway, right where the
/// backward pass needs it, lets both copies die young: a device then writes neither to memory
/// (the CPU keeps them in the scratch of a ``SliceGroup``), and the backward pass reads the inputs
/// it reads anyway instead of one more full-size tensor.
///
/// A value qualifies when it has users near it and users far after it (more than an eighth of the
/// graph away), its expression (the value and the single-user elementwise and view instructions
/// feeding it) is small and holds no costly function (``Recomputation``), and every buffer the
/// expression reads has a use of its own at or after the first distant user, so recomputing
/// keeps nothing alive longer.
struct Rematerialization {
    /// The largest expression recomputed.
    static let sizeLimit = 24

    /// `graph` with a recomputed copy of each qualifying value before its first distant user, which
    /// that user and the later ones read instead.
    func run(_ graph: Graph) -> Graph {
        let parameterCount = graph.parameters.count
        let count = graph.valueCount
        guard graph.instructions.count >= 16 else { return graph }
        var users = Analysis.users(of: graph)
        for result in graph.results { users[result.index].append(Int.max) }
        let distance = graph.instructions.count / 8
        // For each qualifying value: its expression's instructions (ascending) and where distant users start.
        var plans: [Int: (expression: [Int], firstDistant: Int)] = [:]
        for value in parameterCount..<count {
            guard let instruction = graph.instruction(defining: Value(index: value)), Analysis.isElementwise(instruction.op),
                  let firstDistant = users[value].first(where: { $0 != Int.max && $0 - value > distance }),
                  users[value].contains(where: { $0 - value <= distance }), !users[value].contains(Int.max),
                  let expression = Self.expression(of: value, in: graph, users: users) else { continue }
            let members = Set(expression.instructions)
            // A view is recomputed wherever it is read: what must stay alive is the buffer it views.
            func viewed(_ leaf: Int) -> Int {
                var current = leaf
                while let instruction = graph.instruction(defining: Value(index: current)), Analysis.isView(instruction.op) {
                    current = instruction.operands[0].index
                }
                return current
            }
            let keptAlive = expression.leaves.allSatisfy { leaf in
                let source = viewed(leaf)
                return source < parameterCount || Self.isGenerator(graph.instruction(defining: Value(index: source))?.op)
                    || [leaf, source].contains { read in users[read].contains { $0 >= firstDistant && !members.contains($0) } }
            }
            if keptAlive { plans[value] = (expression.instructions, firstDistant) }
        }
        guard !plans.isEmpty else { return graph }
        var copies: [Int: Value] = [:]
        return GraphRewriter.rewriting(graph) { rewriter, instruction in
            let source = rewriter.sourceValue.index
            var operands = instruction.operands
            for (position, operand) in graph.instructions[source - parameterCount].operands.enumerated() {
                guard let plan = plans[operand.index], source >= plan.firstDistant else { continue }
                if copies[operand.index] == nil {
                    var mapping: [Int: Value] = [:]
                    for member in plan.expression {
                        let original = graph.instructions[member - parameterCount]
                        let renamed = original.operands.map { mapping[$0.index] ?? rewriter.newValue(for: $0) }
                        guard renamed.allSatisfy({ $0 != nil }) else { break }
                        var copy = original.replaced(by: original.op, renamed.compactMap { $0 })
                        copy.name = original.name + "_again"
                        mapping[member] = rewriter.append(copy)
                    }
                    copies[operand.index] = mapping[operand.index]
                }
                if let copy = copies[operand.index] { operands[position] = copy }
            }
            var rewritten = instruction
            rewritten.operands = operands
            return rewriter.append(rewritten)
        }
    }

    /// The instructions of `value`'s expression (itself and the single-user elementwise and view
    /// instructions feeding it), ascending, and the values it reads; `nil` when it is too large or costly.
    static func expression(of value: Int, in graph: Graph, users: [[Int]]) -> (instructions: [Int], leaves: Set<Int>)? {
        var instructions: [Int] = []
        var leaves: Set<Int> = []
        var stack = [value]
        while let index = stack.popLast() {
            guard let instruction = graph.instruction(defining: Value(index: index)) else { leaves.insert(index); continue }
            if Recomputation.isCostly(instruction.op) { return nil }
            instructions.append(index)
            guard instructions.count <= sizeLimit else { return nil }
            for operand in instruction.operands {
                let operandInstruction = graph.instruction(defining: operand)
                let fusable = operandInstruction.map { Analysis.isElementwise($0.op) || Analysis.isView($0.op) || Self.isGenerator($0.op) } ?? false
                if fusable && users[operand.index].count == 1 {
                    stack.append(operand.index)
                } else {
                    leaves.insert(operand.index)
                }
            }
        }
        return (Array(Set(instructions)).sorted(), leaves)
    }

    /// Constants and iotas: recomputed anywhere for nothing.
    static func isGenerator(_ op: Op?) -> Bool {
        switch op {
        case .constant?, .iota?: true
        default: false
        }
    }
}
