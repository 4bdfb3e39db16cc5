import Backends
import KernelIR

/// Tensors made on the device from a recipe (constants, counters, seeded random numbers): recorded as
/// IR sources, so creating them copies nothing from the host.
extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public static func full(_ shape: Shape, value: Double, dtype: DType = .f32, on device: any Device) -> Tensor {
        constant(value, TensorType(dtype, shape), on: device)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: Shape, dtype: DType = .f32, on device: any Device) -> Tensor {
        full(shape, value: 0, dtype: dtype, on: device)
    }

    /// A tensor of ones.
    public static func ones(_ shape: Shape, dtype: DType = .f32, on device: any Device) -> Tensor {
        full(shape, value: 1, dtype: dtype, on: device)
    }

    /// Zeros of `other`'s type, on its device.
    public static func zeros(like other: Tensor) -> Tensor { other.filled(0) }

    /// Ones of `other`'s type, on its device.
    public static func ones(like other: Tensor) -> Tensor { other.filled(1) }

    /// `0, 1, 2, ...` counting along `axis` of a new tensor of `shape`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for an axis out of range or a `bool` dtype.
    public static func iota(_ shape: Shape, axis: Int = 0, dtype: DType = .i32, on device: any Device) throws(RuntimeError) -> Tensor {
        let type = TensorType(dtype, shape)
        guard (0..<Swift.max(shape.rank, 1)).contains(axis), shape.rank > 0, dtype != .bool else {
            throw .invalidArgument(operation: "iota", reason: "needs an axis of \(shape) and a numeric dtype, got axis \(axis) and \(dtype)")
        }
        return source(.iota(axis: axis, type: type), type, on: device)
    }

    /// `0, 1, ..., count - 1`.
    /// - Throws: as ``iota(_:axis:dtype:on:)`` does.
    public static func arange(_ count: Int, dtype: DType = .i32, on device: any Device) throws(RuntimeError) -> Tensor {
        try iota([count], dtype: dtype, on: device)
    }

    /// Standard normal samples (mean 0, variance 1) of `shape`, from the counter-based generator: element `i`
    /// depends only on `seed` and `i`, so every device draws the same numbers.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` for a negative seed or a non-floating dtype.
    public static func normal(_ shape: Shape, seed: Int, dtype: DType = .f32, on device: any Device) throws(RuntimeError) -> Tensor {
        try random(.normal, shape, seed: seed, dtype: dtype, on: device)
    }

    /// Uniform samples on `[0, 1)` of `shape`, from the counter-based generator (see ``normal(_:seed:dtype:on:)``).
    /// - Throws: as ``normal(_:seed:dtype:on:)`` does.
    public static func uniform(_ shape: Shape, seed: Int, dtype: DType = .f32, on device: any Device) throws(RuntimeError) -> Tensor {
        try random(.uniform, shape, seed: seed, dtype: dtype, on: device)
    }

    private static func random(_ distribution: Distribution, _ shape: Shape, seed: Int, dtype: DType,
                               on device: any Device) throws(RuntimeError) -> Tensor {
        guard seed >= 0, dtype.isFloatingPoint else {
            throw .invalidArgument(operation: "random", reason: "needs a seed >= 0 and a floating dtype, got seed \(seed) and \(dtype)")
        }
        let type = TensorType(dtype, shape)
        return source(.random(distribution, seed: seed, type: type), type, on: device)
    }
}
