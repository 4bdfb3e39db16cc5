import KernelIR

extension Schedule {
    /// The schedule as "acc-schedule 1" text, the program form a plugin compiles: one line per
    /// input, slot, kernel parameter, op and output, every token separated by a space, so that a
    /// C plugin reads it with `strtol` and `strtod`. `acc_plugin.h` ("PROGRAMS") is the format's
    /// definition; this is its one writer.
    ///
    /// Literals are written as the shortest decimal that reads back to the same `Double` (`inf`,
    /// `-inf` and `nan` for the rest), so `strtod` recovers them exactly. Names keep only
    /// `[A-Za-z0-9_.]`, other characters becoming `_`, and at most 60 of them.
    package var serializedText: String {
        var lines = ["acc-schedule 1",
                     "schedule \(Self.token(name)) \(inputTypes.count) \(slotByteCounts.count) \(kernels.count) \(outputs.count)"]
        for (index, type) in inputTypes.enumerated() { lines.append("input \(index) \(Self.tokens(type))") }
        for (slot, bytes) in slotByteCounts.enumerated() { lines.append("slot \(inputTypes.count + slot) \(bytes)") }
        for kernel in kernels {
            let body = kernel.body
            let inputs = kernel.inputs.map { String($0.index) }
            lines.append((["kernel", Self.token(body.name), kernel.kind.rawValue, String(kernel.output.index), String(inputs.count)]
                          + inputs + [String(body.instructions.count)]).joined(separator: " "))
            for (index, parameter) in body.parameters.enumerated() { lines.append("param \(index) \(Self.tokens(parameter.type))") }
            for (position, instruction) in body.instructions.enumerated() {
                let operands = instruction.operands.map { String($0.index) }
                let words = ["op", String(body.value(ofInstructionAt: position).index), instruction.op.mnemonic, Self.tokens(instruction.type),
                             String(operands.count)] + operands + Self.attributeTokens(of: instruction.op)
                lines.append(words.joined(separator: " "))
            }
            // Fusion gives every kernel one result; a body without one names an invalid value, which the plugin rejects.
            lines.append("result \(body.results.first?.index ?? -1)")
        }
        for output in outputs { lines.append("output \(output.buffer.index) \(Self.tokens(output.type))") }
        lines.append("end")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `f32 2 2 3`: the dtype, the rank and the dimensions.
    private static func tokens(_ type: TensorType) -> String {
        ([type.dtype.rawValue, String(type.rank)] + type.shape.dimensions.map(String.init)).joined(separator: " ")
    }

    /// A name reduced to the characters the format allows.
    private static func token(_ name: String) -> String {
        let allowed = name.unicodeScalars.prefix(60).map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == ".")
                ? Character(scalar) : "_"
        }
        return allowed.isEmpty ? "_" : String(allowed)
    }

    /// The shortest decimal that reads back to `value`, or `inf`, `-inf`, `nan`.
    private static func literal(_ value: Double) -> String {
        value.isNaN ? "nan" : value.description
    }

    /// The attributes after an op's operands, each list preceded by its length (acc_plugin.h's table).
    private static func attributeTokens(of op: Op) -> [String] {
        func list(_ lists: [Int]...) -> [String] {
            [String(lists.first?.count ?? 0)] + lists.flatMap { $0.map(String.init) }
        }
        switch op {
        case .unary, .binary, .compare, .select, .cast, .broadcast, .reshape, .stopGradient, .matmul:
            return []
        case let .permute(permutation):
            return list(permutation)
        case let .reverse(axes):
            return list(axes)
        case let .slice(start, limit, stride):
            return list(start, limit, stride)
        case let .concat(axis), let .iota(axis, _):
            return [String(axis)]
        case let .pad(low, high, value):
            return list(low, high) + [literal(value)]
        case let .reduce(_, axes, keepsDimensions):
            return list(axes) + [keepsDimensions ? "1" : "0"]
        case let .convolution(attributes):
            return list(attributes.stride, attributes.paddingLow, attributes.paddingHigh, attributes.dilation) + [String(attributes.groups)]
        case let .constant(.splat(value), _):
            return ["splat", literal(value)]
        case let .constant(.elements(values), _):
            return ["elements", String(values.count)] + values.map(literal)
        case let .random(_, seed, _):
            return [String(seed)]
        }
    }
}
