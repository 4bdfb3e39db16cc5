import KernelIR

/// Runs one kernel body the way a simulated device computes it: the reference interpreter's rule
/// for every op, except
/// - matmul and convolution, which take ``SimulatedContraction``'s matrix-unit numerics;
/// - float sums, which take ``SimulatedReduction``'s fp32 chunked order;
/// - 16-bit float arithmetic, which is carried in the profile's vector compute dtype inside the
///   kernel (fp32 on TPU and Trainium, fp16 kept on Ascend) and rounded once when the kernel
///   stores its result (§6 rule 6);
/// - casts to bf16, which flush subnormals where the device does (§6 rule 1).
///
/// Deterministic: every result depends only on the inputs and the profile.
struct SimulatedInterpreter: Sendable {
    let numerics: DeviceNumerics
    private let interpreter = Interpreter()

    init(numerics: DeviceNumerics) { self.numerics = numerics }

    /// The kernel body's single result, stored in its declared dtype.
    func run(_ body: Graph, inputs: [TensorValue]) -> TensorValue {
        var values = inputs
        values.reserveCapacity(body.valueCount)
        for instruction in body.instructions {
            let operands = instruction.operands.map { values[$0.index] }
            let operandTypes = instruction.operands.map { body.type(of: $0) }
            values.append(evaluate(instruction, operands, operandTypes: operandTypes))
        }
        let result = values[body.results[0].index]
        let declared = body.type(of: body.results[0])
        guard result.type != declared else { return result }
        return TensorValue(declared, scalars: result.scalars.map { numerics.stored($0, as: declared.dtype) })
    }

    /// The type a value is carried in: a 16-bit float computed in fp32 stays fp32 inside the
    /// kernel, except where an op defines its exact bits (casts, constants, iota, random).
    func carriedType(of instruction: Instruction) -> TensorType {
        switch instruction.op {
        case .cast, .constant, .iota, .random:
            return instruction.type
        case .unary, .binary, .compare, .select, .broadcast, .reshape, .stopGradient, .permute, .reverse, .slice, .concat,
             .pad, .reduce, .matmul, .convolution:
            return instruction.type.with(dtype: numerics.carriedDType(for: instruction.type.dtype))
        }
    }

    private func evaluate(_ instruction: Instruction, _ operands: [TensorValue], operandTypes: [TensorType]) -> TensorValue {
        let carried = carriedType(of: instruction)
        switch instruction.op {
        case .matmul:
            guard let precision = numerics.precision(for: operandTypes[0].dtype, convolution: false) else { break }
            let scalars = SimulatedContraction(numerics: numerics).matmul(operands[0], operands[1], to: carried.shape, precision: precision)
            return stored(scalars, carried)
        case let .convolution(attributes):
            guard let precision = numerics.precision(for: operandTypes[0].dtype, convolution: true) else { break }
            let scalars = SimulatedContraction(numerics: numerics).convolution(operands[0], operands[1], attributes, to: carried.shape, precision: precision)
            return stored(scalars, carried)
        case let .reduce(.sum, axes, _) where carried.dtype.isFloatingPoint:
            return stored(SimulatedReduction.sum(operands[0], axes: axes), carried)
        case .cast(to: .bf16) where numerics.flushesSubnormals:
            return TensorValue(carried, scalars: operands[0].scalars.map { numerics.stored($0, as: .bf16) })
        case let .pad(low, high, value) where carried != instruction.type:
            // The padding value is a literal of the declared dtype, even when arithmetic is carried wider.
            return interpreter.evaluate(.pad(low: low, high: high, value: instruction.type.dtype.converting(value)), operands, type: carried)
        // Data movement never rounds: the fast gathers give the interpreter's elements.
        case .reshape, .stopGradient:
            return TensorValue(carried, scalars: operands[0].scalars)
        case let .broadcast(shape):
            return TensorValue(carried, scalars: StridedGather.broadcast(operands[0].shape, to: shape).apply(operands[0].scalars))
        case let .permute(permutation):
            return TensorValue(carried, scalars: StridedGather.permute(operands[0].shape, permutation).apply(operands[0].scalars))
        case let .slice(start, _, stride):
            return TensorValue(carried, scalars: StridedGather.slice(operands[0].shape, start: start, stride: stride, to: carried.shape)
                .apply(operands[0].scalars))
        case let .reverse(axes):
            return TensorValue(carried, scalars: StridedGather.reverse(operands[0].shape, axes: axes).apply(operands[0].scalars))
        // f32 arithmetic: the interpreter's rule per element, without its generic per-op overhead.
        case let .unary(function) where carried.dtype == .f32:
            return TensorValue(carried, scalars: Self.map(operands[0].scalars) { Interpreter.apply(function, $0, dtype: .f32) })
        case let .binary(function) where carried.dtype == .f32:
            return TensorValue(carried, scalars: Self.map(operands[0].scalars, operands[1].scalars) { Interpreter.apply(function, $0, $1, dtype: .f32) })
        case .unary, .binary, .compare, .select, .cast, .concat, .pad, .reduce, .iota, .constant, .random:
            break
        }
        return interpreter.evaluate(instruction.op, operands, type: carried)
    }

    /// `body` of each element, rounded to f32.
    private static func map(_ x: [Double], _ body: (Double) -> Double) -> [Double] {
        var result = [Double](repeating: 0, count: x.count)
        result.withUnsafeMutableBufferPointer { output in
            x.withUnsafeBufferPointer { input in
                for index in 0..<input.count { output[index] = Double(Float(body(input[index]))) }
            }
        }
        return result
    }

    /// `body` of each pair of elements, rounded to f32.
    private static func map(_ x: [Double], _ y: [Double], _ body: (Double, Double) -> Double) -> [Double] {
        var result = [Double](repeating: 0, count: x.count)
        result.withUnsafeMutableBufferPointer { output in
            x.withUnsafeBufferPointer { left in
                y.withUnsafeBufferPointer { right in
                    for index in 0..<left.count { output[index] = Double(Float(body(left[index], right[index]))) }
                }
            }
        }
        return result
    }

    /// f32-exact results rounded to the carried dtype (a no-op for f32).
    private func stored(_ scalars: [Double], _ type: TensorType) -> TensorValue {
        guard type.dtype != .f32 else { return TensorValue(type, scalars: scalars) }
        return TensorValue(type, scalars: scalars.map { numerics.stored($0, as: type.dtype) })
    }
}
