import Backends
import KernelIR

/// The lazy graph behind some tensors turned into one KernelIR function, and back.
///
/// Capture walks from the output nodes towards their sources and stops at *boundaries*, which become
/// the function's parameters: first the `leading` nodes the caller names (a traced function's
/// placeholders, the tensors a gradient is taken with respect to), then every other boundary in the
/// order the walk meets it (device data, placeholders of other traces and, when evaluating, nodes
/// evaluated before). The walk is deterministic, so the same computation on new data gives the same
/// graph, and the compile cache answers.
struct GraphCapture {
    /// Where an output of the captured function comes from.
    enum OutputSource: Hashable, Sendable {
        /// Result `index` of ``graph``.
        case result(Int)
        /// Parameter `index` itself, returned unchanged: no kernel needs to run for it.
        case parameter(Int)
    }

    /// The function: parameters are ``leading`` then ``externals``; results are unique computed values.
    let graph: Graph
    /// The nodes bound to the parameters after the leading ones, in order.
    let externals: [TensorNode]
    /// For each requested output, where its value comes from.
    let outputs: [OutputSource]

    /// Captures the graph computing `outputs`.
    /// - Parameters:
    ///   - leading: nodes that become the first parameters, in order, whether or not the outputs use them.
    ///   - stopsAtEvaluated: whether an operation node evaluated earlier is a boundary (its cached array is
    ///     reused) rather than recomputed; gradients need `false`, so they flow through it.
    init(_ outputs: [TensorNode], leading: [TensorNode] = [], name: String, stopsAtEvaluated: Bool) throws(RuntimeError) {
        let builder = GraphBuilder(name: name)
        var values: [ObjectIdentifier: Value] = [:]
        var parameterNodes: [TensorNode] = []
        for (index, node) in leading.enumerated() where values[ObjectIdentifier(node)] == nil {
            values[ObjectIdentifier(node)] = builder.parameter(node.type, name: "arg\(index)")
            parameterNodes.append(node)
        }

        // Pass 1: find the boundary nodes in walk order, so every parameter is declared before any instruction.
        func isBoundary(_ node: TensorNode) -> Bool {
            switch node.source {
            case .data, .placeholder: true
            case .operation: stopsAtEvaluated && node.array != nil
            }
        }
        var order: [TensorNode] = []
        var seen: Set<ObjectIdentifier> = Set(values.keys)
        var externals: [TensorNode] = []
        // Iterative post-order walk: deep graphs (a 1,000-op transformer) must not exhaust the stack.
        var stack: [(node: TensorNode, expanded: Bool)] = outputs.reversed().map { ($0, false) }
        while let (node, expanded) = stack.popLast() {
            let identifier = ObjectIdentifier(node)
            if expanded {
                order.append(node)
                continue
            }
            guard !seen.contains(identifier) else { continue }
            seen.insert(identifier)
            if isBoundary(node) {
                externals.append(node)
                continue
            }
            stack.append((node, true))
            for operand in node.operands.reversed() where !seen.contains(ObjectIdentifier(operand)) {
                stack.append((operand, false))
            }
        }
        for (index, node) in externals.enumerated() {
            values[ObjectIdentifier(node)] = builder.parameter(node.type, name: "input\(index)")
        }
        parameterNodes += externals

        // Pass 2: emit the operations in dependency order.
        for node in order {
            guard case let .operation(op, operands) = node.source else { continue }
            var operandValues: [Value] = []
            for operand in operands {
                guard let value = values[ObjectIdentifier(operand)] else {
                    preconditionFailure("GraphCapture: a post-order walk emits operands before their users")
                }
                operandValues.append(value)
            }
            do throws(KIRError) {
                values[ObjectIdentifier(node)] = try builder.emit(op, operandValues)
            } catch {
                throw .invalidOperation(op.mnemonic, operands: operands.map(\.type), error)
            }
        }

        var results: [Value] = []
        var sources: [OutputSource] = []
        for node in outputs {
            guard let value = values[ObjectIdentifier(node)] else {
                preconditionFailure("GraphCapture: every output was visited")
            }
            if value.index < parameterNodes.count {
                sources.append(.parameter(value.index))
            } else if let existing = results.firstIndex(of: value) {
                sources.append(.result(existing))
            } else {
                sources.append(.result(results.count))
                results.append(value)
            }
        }
        self.graph = builder.build(returning: results)
        self.externals = externals
        self.outputs = sources
    }

    /// The results of `graph` recorded as new operation nodes on `arguments` (one per parameter): a call, inlined
    /// into the lazy graph, so the result composes with everything else (evaluation, further gradients, tracing).
    static func inline(_ graph: Graph, arguments: [TensorNode], on device: any Device) -> [TensorNode] {
        precondition(arguments.count == graph.parameters.count, "GraphCapture.inline: one argument per parameter")
        var nodes = arguments
        for instruction in graph.instructions {
            let operands = instruction.operands.map { nodes[$0.index] }
            nodes.append(TensorNode(.operation(instruction.op, operands), type: instruction.type, device: device))
        }
        return graph.results.map { nodes[$0.index] }
    }
}
