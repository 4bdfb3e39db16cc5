import Testing
@testable import KernelIR

/// Central finite differences in float64 against the IR gradient transform.
enum GradientCheck {
    /// `graph` turned into a scalar loss: `sum(result0 * weights)` with fixed pseudo-random weights,
    /// so no symmetry can hide a wrong gradient.
    static func scalarLoss(of graph: Graph) throws -> Graph {
        let builder = GraphBuilder(name: graph.name + "_loss")
        var values = graph.parameters.map { builder.parameter($0.type, name: $0.name) }
        for instruction in graph.instructions {
            values.append(try builder.emit(instruction.op, instruction.operands.map { values[$0.index] }, name: instruction.name))
        }
        let output = values[graph.results[0].index]
        let type = builder.type(of: output)
        let generator = Philox(seed: 99)
        let weights = try builder.constant((0..<type.elementCount).map { generator.uniform(at: $0) * 2 - 1 }, type)
        let product = try builder.mul(output, weights)
        let loss = try builder.reduce(.sum, product, over: Array(0..<type.rank))
        return builder.build(returning: [loss])
    }

    /// The largest violation of `|analytic - numeric| <= absolute + relative * |numeric|` over the
    /// checked elements of every floating parameter; 0 when all pass.
    static func worstError(of graph: Graph, inputs: [TensorValue], step: Double = 1e-6,
                           elementsPerParameter: Int = 48) throws -> (error: Double, detail: String) {
        let loss = try scalarLoss(of: graph)
        let names = graph.parameters.filter { $0.type.dtype.isFloatingPoint }.map(\.name)
        let differentiated = try Gradient.valueAndGrad(of: loss, wrt: names)
        try Verifier.verify(differentiated)
        let interpreter = Interpreter(precision: .float64)
        let analytic = try interpreter.run(differentiated, inputs: inputs)
        var worst = 0.0
        var detail = "all within tolerance"
        for (gradientIndex, name) in names.enumerated() {
            guard let parameterIndex = graph.parameters.firstIndex(where: { $0.name == name }) else { continue }
            let input = inputs[parameterIndex]
            let gradient = analytic[1 + gradientIndex]
            let count = input.type.elementCount
            let stride = Swift.max(1, count / elementsPerParameter)
            for element in Swift.stride(from: 0, to: count, by: stride) {
                func lossAt(_ delta: Double) throws -> Double {
                    var scalars = input.scalars
                    scalars[element] += delta
                    var shifted = inputs
                    shifted[parameterIndex] = TensorValue(input.type, scalars: scalars)
                    return try interpreter.run(loss, inputs: shifted)[0].scalars[0]
                }
                let numeric = (try lossAt(step) - lossAt(-step)) / (2 * step)
                let difference = Swift.abs(gradient.scalars[element] - numeric)
                let excess = difference - (1e-6 + 1e-5 * Swift.abs(numeric))
                if excess > worst {
                    worst = excess
                    detail = "%\(name)[\(element)]: analytic \(gradient.scalars[element]), numeric \(numeric)"
                }
            }
        }
        return (worst, detail)
    }
}
