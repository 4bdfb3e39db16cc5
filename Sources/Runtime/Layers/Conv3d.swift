import Backends
import KernelIR

/// A 3-d convolution over channels-last video, `[batch, frames, height, width, channels]`, plus a bias.
///
/// Parameters: `weight` `[kt, kh, kw, inputChannels / groups, outputChannels]` (the IR's filter layout)
/// and `bias` `[outputChannels]`.
public struct Conv3d: UnaryLayer {
    /// The filter, `[kt, kh, kw, inputChannels / groups, outputChannels]`.
    public var weight: Tensor
    /// The bias, `[outputChannels]`, or `nil`.
    public var bias: Tensor?
    /// Stride, zero padding on both sides, dilation (per spatial dimension) and channel groups.
    public var attributes: Convolution

    /// A convolution from `inputChannels` to `outputChannels` with a `kernel` of (frames, rows, columns).
    /// The weight defaults to PyTorch's bound, uniform on `±1/sqrt(fan in)`.
    /// - Throws: ``RuntimeError/invalidArgument(operation:reason:)`` when `groups` does not divide both channel
    ///   counts or a size is not positive.
    public init(_ inputChannels: Int, _ outputChannels: Int, kernel: (Int, Int, Int), stride: (Int, Int, Int) = (1, 1, 1),
                padding: (Int, Int, Int) = (0, 0, 0), dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1, bias: Bool = true,
                initializer: Initializer? = nil, seed: Int, dtype: DType = .f32, on device: any Device) throws(RuntimeError) {
        let kernelSizes = [kernel.0, kernel.1, kernel.2]
        guard groups > 0, inputChannels > 0, outputChannels > 0, inputChannels % groups == 0, outputChannels % groups == 0,
              kernelSizes.allSatisfy({ $0 > 0 }) else {
            throw .invalidArgument(operation: "Conv3d", reason: "needs positive sizes and groups dividing both channel counts; "
                + "got \(inputChannels) -> \(outputChannels) channels, kernel \(kernelSizes), groups \(groups)")
        }
        let fanIn = Double(inputChannels / groups * kernelSizes.reduce(1, *))
        let chosen = initializer ?? .uniform(bound: 1 / fanIn.squareRoot())
        weight = try chosen.tensor(Shape(kernelSizes + [inputChannels / groups, outputChannels]), dtype: dtype, seed: seed, on: device)
        self.bias = bias ? try chosen.tensor([outputChannels], dtype: dtype, seed: ParameterSeed.derive(seed, path: "bias"), on: device) : nil
        attributes = Convolution(stride: [stride.0, stride.1, stride.2], paddingLow: [padding.0, padding.1, padding.2],
                                 paddingHigh: [padding.0, padding.1, padding.2], dilation: [dilation.0, dilation.1, dilation.2],
                                 groups: groups)
    }

    /// Visits `weight`, then `bias`.
    /// - Throws: what `visit` throws.
    public mutating func visitParameters(_ visit: ParameterVisitor) throws(RuntimeError) {
        try visit("weight", &weight)
        if var value = bias {
            try visit("bias", &value)
            bias = value
        }
    }

    /// The convolution of `x` (`[batch, frames, height, width, inputChannels]`) plus the bias.
    /// - Throws: ``RuntimeError/invalidOperation(_:operands:_:)`` when `x` does not fit the filter.
    public func callAsFunction(_ x: Tensor) throws(RuntimeError) -> Tensor {
        let convolved = try x.convolution(weight, attributes)
        guard let bias else { return convolved }
        return try convolved + bias
    }
}
