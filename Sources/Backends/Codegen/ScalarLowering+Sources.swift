import KernelIR

/// The values that read the index rather than other values: buffer loads, constants, iota and random.
extension ScalarLowering {
    /// Parameter `position` (kernel input `in<position>`) at `index`, converted to its compute type.
    mutating func load(parameter position: Int, at index: [IndexExpression]) -> CValue {
        let type = body.parameters[position].type
        let offset = IndexExpression.linearized(index, in: type.shape)
        use(offset)
        let element = "in\(position)[\(offset)]"
        let expression = switch type.dtype {
        case .f32, .i32: element
        case .f16: "acc_f16_to_f32(\(element))"
        case .bf16: "acc_bf16_to_f32(\(element))"
        case .bool: "(\(dialect.computeType(.bool)))(\(element) != 0)"
        }
        return local(expression, type.dtype, level: offset.level)
    }

    /// The expression that stores compute-type `expression` as `dtype`'s storage type.
    func stored(_ expression: String, _ dtype: DType) -> String {
        switch dtype {
        case .f16: "acc_f32_to_f16(\(expression))"
        case .bf16: "acc_f32_to_bf16(\(expression))"
        case .f32, .i32, .bool: expression
        }
    }

    mutating func constant(_ literal: Literal, type: TensorType, value: Value, at index: [IndexExpression]) -> CValue {
        switch literal {
        case let .splat(scalar):
            return CValue(text: self.literal(scalar, type.dtype), level: 0)
        case let .elements(scalars):
            guard !scalars.isEmpty else { return CValue(text: self.literal(0, type.dtype), level: 0) }
            let name = table(for: value, scalars: scalars, dtype: type.dtype)
            let offset = IndexExpression.linearized(index, in: type.shape)
            use(offset)
            return local("\(name)[\(offset)]", type.dtype, level: offset.level)
        }
    }

    /// The file-scope table holding a `.elements` constant, in its compute type (f16 and bf16 values
    /// already rounded, so they are exact as `float`).
    private mutating func table(for value: Value, scalars: [Double], dtype: DType) -> String {
        if let name = tableNames[value.index] { return name }
        let name = "\(tablePrefix)_table\(tableNames.count)"
        tableNames[value.index] = name
        var lines: [String] = []
        var line = ""
        for (position, scalar) in scalars.enumerated() {
            line += literal(scalar, dtype) + (position + 1 < scalars.count ? ", " : "")
            if line.count > 100 {
                lines.append("    " + line)
                line = ""
            }
        }
        if !line.isEmpty { lines.append("    " + line) }
        tables.append("\(dialect.constantTableQualifier)\(dialect.computeType(dtype)) \(name)[\(scalars.count)] = {\n"
                    + lines.joined(separator: "\n") + "\n};")
        return name
    }

    mutating func iota(at position: IndexExpression, dtype: DType) -> CValue {
        use(position)
        let expression = switch dtype {
        case .i32: "(int)(\(position))"
        case .f32: "(float)(\(position))"
        // Positions beyond 2^24 are beyond f16's range, so rounding to float first is exact enough.
        case .f16: "acc_round_f16((float)(\(position)))"
        case .bf16: "acc_bf16_from_long(\(position))"
        case .bool: "(\(dialect.computeType(.bool)))(\(position.parenthesized) != 0)"
        }
        return local(expression, dtype, level: position.level)
    }

    /// Element `index` of a `random` tensor: Philox-4x32-10 keyed by the seed's two words, counter
    /// the element's row-major offset, as ``Philox`` defines it.
    mutating func random(_ distribution: Distribution, seed: Int, type: TensorType, at index: [IndexExpression]) -> CValue {
        let offset = IndexExpression.linearized(index, in: type.shape)
        use(offset)
        let bits = UInt64(truncatingIfNeeded: seed)
        let key = "0x\(String(UInt32(truncatingIfNeeded: bits), radix: 16))u, 0x\(String(UInt32(truncatingIfNeeded: bits >> 32), radix: 16))u"
        let counter = "(\(dialect.unsignedType(bits: 64)))(\(offset))"
        let expression: String
        switch distribution {
        case .uniform:
            // A multiple of 2^-24 in [0, 1): exact in float, so rounding it once is exact.
            expression = rounded("acc_uniform(\(counter), \(key))", type.dtype)
        case .normal:
            let sample = "acc_normal(\(counter), \(key))"
            expression = switch type.dtype {
            case .f16: "acc_round_f16_wide(\(sample))"
            case .bf16: "acc_round_bf16_wide(\(sample))"
            case .f32, .i32, .bool: "acc_f32_from_wide(\(sample))"
            }
        }
        return local(expression, type.dtype, level: offset.level)
    }

    /// `value` converted to `dtype` (as the interpreter stores it) and written as a literal of the
    /// dtype's compute type; float literals use the shortest decimal that reads back as the same float.
    func literal(_ value: Double, _ dtype: DType) -> String {
        let converted = dtype.converting(value)
        switch dtype {
        case .f32, .f16, .bf16:
            return Self.floatLiteral(Float(converted))
        case .i32:
            if converted == Double(Int32.min) { return "(-2147483647 - 1)" }
            let integer = Int32(converted)
            return integer < 0 ? "(\(integer))" : "\(integer)"
        case .bool:
            return converted != 0 ? "1" : "0"
        }
    }

    static func floatLiteral(_ value: Float) -> String {
        if value.isNaN { return "NAN" }
        if value.isInfinite { return value < 0 ? "(-INFINITY)" : "INFINITY" }
        var text = "\(value)"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        text += "f"
        return value.sign == .minus ? "(\(text))" : text
    }
}
