import KernelIR

/// The expression of every elementwise op, written once for both dialects and matching the
/// interpreter's definitions (Interpreter+Elementwise.swift):
/// - float dtypes compute in `float`; an f16 or bf16 result is rounded back to its dtype after every
///   op that can leave the dtype's values, so results are those of an IEEE device storing that dtype;
///   `+ - * /` and `sqrt` on f16/bf16 values computed in `float` and rounded once are exactly the
///   interpreter's results, since `float` has more than twice their precision plus two bits;
/// - i32 arithmetic wraps (computed in unsigned), division truncates and `x / 0 = 0`;
/// - max and min propagate NaN; comparisons with NaN are false except `ne`.
extension ScalarLowering {
    /// `expression` rounded to `dtype` when it is f16 or bf16.
    func rounded(_ expression: String, _ dtype: DType) -> String {
        switch dtype {
        case .f16: "acc_round_f16(\(expression))"
        case .bf16: "acc_round_bf16(\(expression))"
        case .f32, .i32, .bool: expression
        }
    }

    func unary(_ function: UnaryFunction, _ x: String, _ dtype: DType) throws(BackendError) -> String {
        let uint32 = dialect.unsignedType(bits: 32)
        switch dtype {
        case .f32, .f16, .bf16:
            let libm = dialect.floatFunction
            // neg, abs, floor and sign give values of the operand's dtype: no rounding needed.
            switch function {
            case .neg: return "-\(x)"
            case .abs: return "\(libm("fabs"))(\(x))"
            case .floor: return "\(libm("floor"))(\(x))"
            case .sign: return "acc_sign_f32(\(x))"
            case .exp: return rounded("acc_exp_f32(\(x))", dtype)
            case .log: return rounded("acc_log_f32(\(x))", dtype)
            case .sqrt: return rounded("\(libm("sqrt"))(\(x))", dtype)
            case .rsqrt: return rounded("acc_rsqrt_f32(\(x))", dtype)
            case .tanh: return rounded("acc_tanh_f32(\(x))", dtype)
            case .sigmoid: return rounded("acc_sigmoid_f32(\(x))", dtype)
            case .sin: return rounded("acc_sin_f32(\(x))", dtype)
            case .cos: return rounded("acc_cos_f32(\(x))", dtype)
            case .recip: return rounded("1.0f / \(x)", dtype)
            }
        case .i32:
            switch function {
            case .neg: return "(int)(0u - (\(uint32))\(x))"
            case .abs: return "\(x) < 0 ? (int)(0u - (\(uint32))\(x)) : \(x)"
            case .sign: return "(\(x) > 0) - (\(x) < 0)"
            case .exp, .log, .sqrt, .rsqrt, .tanh, .sigmoid, .sin, .cos, .recip, .floor:
                throw .notImplemented(device, "\(function.rawValue) on i32")
            }
        case .bool:
            throw .notImplemented(device, "\(function.rawValue) on bool")
        }
    }

    func binary(_ function: BinaryFunction, _ a: String, _ b: String, _ dtype: DType) throws(BackendError) -> String {
        let uint32 = dialect.unsignedType(bits: 32)
        switch dtype {
        case .f32, .f16, .bf16:
            switch function {
            case .add: return rounded("\(a) + \(b)", dtype)
            case .sub: return rounded("\(a) - \(b)", dtype)
            case .mul: return rounded("\(a) * \(b)", dtype)
            case .div: return rounded("\(a) / \(b)", dtype)
            case .pow: return rounded("acc_pow_f32(\(a), \(b))", dtype)
            case .max: return "acc_max_f32(\(a), \(b))"
            case .min: return "acc_min_f32(\(a), \(b))"
            }
        case .i32:
            switch function {
            case .add: return "(int)((\(uint32))\(a) + (\(uint32))\(b))"
            case .sub: return "(int)((\(uint32))\(a) - (\(uint32))\(b))"
            case .mul: return "(int)((\(uint32))\(a) * (\(uint32))\(b))"
            case .div: return "acc_div_i32(\(a), \(b))"
            // On ties Swift's max returns its second argument and min its first.
            case .max: return "\(b) >= \(a) ? \(b) : \(a)"
            case .min: return "\(b) < \(a) ? \(b) : \(a)"
            case .pow: throw .notImplemented(device, "pow on i32")
            }
        case .bool:
            throw .notImplemented(device, "\(function.rawValue) on bool")
        }
    }

    func compare(_ comparison: Comparison, _ a: String, _ b: String) -> String {
        let symbol = switch comparison {
        case .eq: "=="
        case .ne: "!="
        case .lt: "<"
        case .le: "<="
        case .gt: ">"
        case .ge: ">="
        }
        return "(\(dialect.computeType(.bool)))(\(a) \(symbol) \(b))"
    }

    /// The conversion of `x` from `source` to `target` as `DType.converting` defines it, or `nil`
    /// when the compute-type value is already the result (same dtype, or a widening to f32).
    func cast(_ x: String, from source: DType, to target: DType) -> String? {
        let boolType = dialect.computeType(.bool)
        switch (source, target) {
        case (.f32, .f32), (.f16, .f16), (.bf16, .bf16), (.i32, .i32), (.bool, .bool), (.f16, .f32), (.bf16, .f32):
            return nil
        case (.f32, .f16), (.bf16, .f16), (.f32, .bf16), (.f16, .bf16):
            return rounded(x, target)
        case (.f32, .i32), (.f16, .i32), (.bf16, .i32):
            return "acc_f32_to_i32(\(x))"
        case (.f32, .bool), (.f16, .bool), (.bf16, .bool):
            return "(\(boolType))(\(x) != 0.0f)"
        case (.i32, .f32):
            return "(float)\(x)"
        case (.i32, .f16):
            // Every i32 beyond 2^24 is beyond f16's range, so rounding to float first is exact enough.
            return "acc_round_f16((float)\(x))"
        case (.i32, .bf16):
            return "acc_bf16_from_long((long)\(x))"
        case (.i32, .bool):
            return "(\(boolType))(\(x) != 0)"
        case (.bool, .f32), (.bool, .f16), (.bool, .bf16):
            return "(float)\(x)"
        case (.bool, .i32):
            return "(int)\(x)"
        }
    }
}
