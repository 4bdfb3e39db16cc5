import Foundation

extension Interpreter {
    /// One unary function on one element. `i32` takes only neg, abs and sign, wrapping.
    package static func apply(_ function: UnaryFunction, _ x: Double, dtype: DType) -> Double {
        switch function {
        case .neg: return -x
        case .abs: return Swift.abs(x)
        case .sign: return x.isNaN ? x : (x > 0 ? 1 : (x < 0 ? -1 : 0))
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .sqrt: return x.squareRoot()
        case .rsqrt: return 1 / x.squareRoot()
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .recip: return 1 / x
        case .floor: return x.rounded(.down)
        }
    }

    /// One binary function on one pair of elements. `max` and `min` propagate NaN.
    package static func apply(_ function: BinaryFunction, _ a: Double, _ b: Double, dtype: DType) -> Double {
        switch function {
        case .add: return a + b
        case .sub: return a - b
        case .mul:
            guard dtype == .i32 else { return a * b }
            return Double(Int32(truncatingIfNeeded: Int64(a) &* Int64(b)))
        case .div:
            guard dtype == .i32 else { return a / b }
            return b == 0 ? 0 : Double(Int32(truncatingIfNeeded: Int64(a) / Int64(b)))
        case .max: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .min: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        case .pow: return Foundation.pow(a, b)
        }
    }

    /// One comparison; every comparison with NaN is false except `ne`.
    package static func apply(_ comparison: Comparison, _ a: Double, _ b: Double) -> Bool {
        switch comparison {
        case .eq: a == b
        case .ne: a != b
        case .lt: a < b
        case .le: a <= b
        case .gt: a > b
        case .ge: a >= b
        }
    }
}
