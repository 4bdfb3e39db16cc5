import KernelIR

/// Which of a loop body's parameters each output slice reads only its own slice of, when the
/// output is cut into `slices` equal runs of its row-major elements.
///
/// Slice `g` of a tensor is the `g`-th of `slices` equal runs of its flattened elements. A parameter
/// is *aligned* when computing output slice `g` reads nothing of it outside its own slice `g`: then a
/// chain of kernels can run slice by slice (``SliceGroup``), each slice's producer finishing before
/// its consumer starts, without waiting for the other slices. The analysis follows the body's ops
/// from the result back to the parameters: elementwise ops and reshapes keep slices in place; a
/// permute, broadcast, reduction, slice, pad, reverse or concat keeps them when it leaves the axes
/// that make up the slices (a prefix of the shape whose sizes multiply to a multiple of `slices`) untouched. A
/// parameter read any other way is read whole.
struct SliceReads {
    /// Per body parameter: `true` when every read of it is aligned (or there is none).
    let alignedParameters: [Bool]

    /// The reads of `body` cut into `slices`, or `nil` when its result's elements do not divide into
    /// `slices` equal runs.
    init?(of body: Graph, slices: Int) {
        guard slices > 0, let result = body.results.first, body.results.count == 1,
              body.type(of: result).elementCount % slices == 0 else { return nil }
        var state = [Access](repeating: .unread, count: body.valueCount)
        state[result.index] = .aligned
        let parameterCount = body.parameters.count
        for position in body.instructions.indices.reversed() {
            let instruction = body.instructions[position]
            let access = state[parameterCount + position]
            guard access != .unread else { continue }
            let operandAccess = access == .aligned ? Self.operandAccess(of: instruction, in: body, slices: slices) : .whole
            for operand in instruction.operands { state[operand.index].merge(operandAccess) }
        }
        alignedParameters = (0..<parameterCount).map { state[$0] != .whole }
    }

    /// How a value is read by the slices of the output.
    enum Access: Equatable {
        case unread
        case aligned
        case whole

        mutating func merge(_ other: Access) {
            switch (self, other) {
            case (.unread, _): self = other
            case (_, .whole): self = .whole
            default: break
            }
        }
    }

    /// How `instruction`'s operands are read when its own value is read slice by slice.
    static func operandAccess(of instruction: Instruction, in body: Graph, slices: Int) -> Access {
        let shape = instruction.type.shape
        switch instruction.op {
        case .unary, .binary, .compare, .select, .cast, .reshape, .stopGradient:
            return .aligned
        case .iota, .constant, .random:
            return .aligned
        case .matmul, .convolution:
            return .whole
        case let .permute(permutation):
            guard let axes = sliceAxes(of: shape, slices: slices) else { return .whole }
            return (0..<axes).allSatisfy { permutation[$0] == $0 } ? .aligned : .whole
        case .broadcast:
            guard let axes = sliceAxes(of: shape, slices: slices) else { return .whole }
            let operand = body.type(of: instruction.operands[0]).shape
            guard operand.rank == shape.rank else { return .whole }
            return (0..<axes).allSatisfy { operand[$0] == shape[$0] } ? .aligned : .whole
        case let .reduce(_, reduced, _):
            // Kept or dropped, the reduced axes leave the result's leading axes the operand's until the first of them.
            guard let axes = sliceAxes(of: shape, slices: slices) else { return .whole }
            return reduced.allSatisfy { $0 >= axes } ? .aligned : .whole
        case let .slice(start, limit, stride):
            guard let axes = sliceAxes(of: shape, slices: slices) else { return .whole }
            let operand = body.type(of: instruction.operands[0]).shape
            return (0..<axes).allSatisfy { start[$0] == 0 && stride[$0] == 1 && limit[$0] == operand[$0] } ? .aligned : .whole
        case let .pad(low, high, _):
            guard let axes = sliceAxes(of: shape, slices: slices) else { return .whole }
            return (0..<axes).allSatisfy { low[$0] == 0 && high[$0] == 0 } ? .aligned : .whole
        case let .reverse(axes: reversed):
            guard let axes = sliceAxes(of: shape, slices: slices) else { return .whole }
            return reversed.allSatisfy { $0 >= axes } ? .aligned : .whole
        case let .concat(axis):
            guard let axes = sliceAxes(of: shape, slices: slices) else { return .whole }
            return axis >= axes ? .aligned : .whole
        }
    }

    /// The fewest leading axes of `shape` whose sizes multiply to a multiple of `slices`: each slice
    /// is then whole blocks of elements sharing their index along those axes. `nil` when no prefix does.
    static func sliceAxes(of shape: Shape, slices: Int) -> Int? {
        var product = 1
        for axis in 0...shape.rank {
            if product % slices == 0 { return axis }
            guard axis < shape.rank, shape[axis] > 0 else { return nil }
            product *= shape[axis]
        }
        return nil
    }
}
