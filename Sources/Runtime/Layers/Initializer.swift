import Backends
import KernelIR

/// How a parameter starts: recorded as an IR recipe (a constant or seeded counter-based random numbers),
/// so initialising a model copies nothing from the host and gives the same numbers on every device.
public enum Initializer: Hashable, Sendable {
    /// Every element zero: biases, and adaLN-Zero's modulation and output layers.
    case zeros
    /// Every element one.
    case ones
    /// Normal samples with mean 0 and this standard deviation (vdit.md: 0.02 for weights and `pos_embed`).
    case normal(standardDeviation: Double)
    /// Uniform samples on `[-bound, bound)`.
    case uniform(bound: Double)

    /// A parameter of `shape` and `dtype` drawn from this initializer with `seed`, on `device`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for a negative seed.
    public func tensor(_ shape: Shape, dtype: DType = .f32, seed: Int, on device: any Device) throws(RuntimeError) -> Tensor {
        switch self {
        case .zeros: return Tensor.zeros(shape, dtype: dtype, on: device)
        case .ones: return Tensor.ones(shape, dtype: dtype, on: device)
        case let .normal(deviation): return try Tensor.normal(shape, seed: seed, dtype: dtype, on: device) * deviation
        case let .uniform(bound): return try Tensor.uniform(shape, seed: seed, dtype: dtype, on: device) * (2 * bound) - bound
        }
    }
}

/// Seeds for the parameters of a model: one per parameter path, derived from the model's seed, so adding a
/// layer never changes the numbers another layer starts from.
public enum ParameterSeed {
    /// The seed for the parameter at `path` of a model seeded with `seed`: FNV-1a over both, kept
    /// non-negative and below 2^62 as the IR's `random` op requires.
    public static func derive(_ seed: Int, path: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(seed)/\(path)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash >> 2)
    }
}
