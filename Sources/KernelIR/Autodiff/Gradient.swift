/// Reverse-mode automatic differentiation as an IR-to-IR transform: the gradient of a function
/// is another function, so every backend that runs IR also trains.
public enum Gradient {
    /// A function computing `graph`'s results followed by the gradient of its first result with
    /// respect to each parameter in `parameters` (by name), in that order.
    ///
    /// The first result must be a floating-point scalar (a loss). Gradients have their parameter's type.
    /// - Throws: ``KIRError/notDifferentiable(_:)`` when the first result is not a floating scalar,
    ///   a parameter is not floating point, or a name is unknown.
    public static func valueAndGrad(of graph: Graph, wrt parameters: [String]) throws(KIRError) -> Graph {
        guard let loss = graph.results.first else {
            throw .notDifferentiable("@\(graph.name) returns nothing to differentiate")
        }
        let lossType = graph.type(of: loss)
        guard lossType.dtype.isFloatingPoint, lossType.rank == 0 else {
            throw .notDifferentiable("@\(graph.name)'s first result is \(lossType); valueAndGrad needs a floating-point scalar, use vjp for other results")
        }
        return try transform(graph, wrt: parameters, name: graph.name + "_value_and_grad") { builder, _ throws(KIRError) in
            try builder.constant(1, lossType)
        }
    }

    /// A function computing `graph`'s results followed by the vector-Jacobian product of its first
    /// result: it takes one extra parameter, `cotangent`, of the first result's type, and returns
    /// the gradient of `sum(result * cotangent)` with respect to each parameter in `parameters`.
    /// - Throws: ``KIRError/notDifferentiable(_:)`` as ``valueAndGrad(of:wrt:)`` does, without the scalar rule.
    public static func vjp(of graph: Graph, wrt parameters: [String]) throws(KIRError) -> Graph {
        guard let output = graph.results.first, graph.type(of: output).dtype.isFloatingPoint else {
            throw .notDifferentiable("@\(graph.name) has no floating-point first result to differentiate")
        }
        return try transform(graph, wrt: parameters, name: graph.name + "_vjp", extraParameter: graph.type(of: output)) { _, cotangent throws(KIRError) in
            guard let cotangent else { preconditionFailure("vjp: the cotangent parameter is always added") }
            return cotangent
        }
    }

    private static func transform(_ graph: Graph, wrt names: [String], name: String, extraParameter: TensorType? = nil,
                                  seed: (GraphBuilder, Value?) throws(KIRError) -> Value) throws(KIRError) -> Graph {
        var targets: [Int] = []
        for parameterName in names {
            guard let index = graph.parameters.firstIndex(where: { $0.name == parameterName }) else {
                throw .notDifferentiable("@\(graph.name) has no parameter %\(parameterName); its parameters are "
                                         + graph.parameters.map { "%" + $0.name }.joined(separator: ", "))
            }
            let type = graph.parameters[index].type
            guard type.dtype.isFloatingPoint else {
                throw .notDifferentiable("%\(parameterName) is \(type); only floating-point parameters have gradients")
            }
            targets.append(index)
        }

        let builder = GraphBuilder(name: name)
        var forward = graph.parameters.map { builder.parameter($0.type, name: $0.name) }
        let cotangent = extraParameter.map { builder.parameter($0, name: "cotangent") }
        for instruction in graph.instructions {
            forward.append(try builder.emit(instruction.op, instruction.operands.map { forward[$0.index] }, name: instruction.name))
        }

        // Which forward values depend on a target through floating-point values: only those need adjoints.
        var needsGradient = [Bool](repeating: false, count: graph.valueCount)
        for index in targets { needsGradient[index] = true }
        for (position, instruction) in graph.instructions.enumerated() where instruction.type.dtype.isFloatingPoint {
            needsGradient[graph.parameters.count + position] = instruction.operands.contains { needsGradient[$0.index] }
        }

        var adjoints: [Value?] = [Value?](repeating: nil, count: graph.valueCount)
        let loss = graph.results[0]
        if needsGradient[loss.index] { adjoints[loss.index] = try seed(builder, cotangent) }
        let rules = VJPRules(builder: builder)
        for position in graph.instructions.indices.reversed() {
            let index = graph.parameters.count + position
            guard let adjoint = adjoints[index] else { continue }
            let instruction = graph.instructions[position]
            let operands = instruction.operands.map { forward[$0.index] }
            let wanted = instruction.operands.map { needsGradient[$0.index] }
            let contributions = try rules.pullback(instruction.op, operands: operands, result: forward[index],
                                                   adjoint: adjoint, wanted: wanted)
            for (operand, contribution) in zip(instruction.operands, contributions) {
                guard let contribution, needsGradient[operand.index] else { continue }
                if let existing = adjoints[operand.index] {
                    adjoints[operand.index] = try builder.add(existing, contribution)
                } else {
                    adjoints[operand.index] = contribution
                }
            }
        }

        var results = graph.results.map { forward[$0.index] }
        for index in targets {
            if let adjoint = adjoints[index] {
                results.append(adjoint)
            } else {
                results.append(try builder.constant(0, graph.parameters[index].type))
            }
        }
        return builder.build(returning: results)
    }
}
