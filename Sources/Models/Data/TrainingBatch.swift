import KernelIR

/// One rectified-flow training batch (vdit.md "Objective"): clean clips `x0` and noise `eps`, both
/// `[B, T, H, W, C]`, and times `t` `[B]`, all f32.
public struct TrainingBatch: Hashable, Sendable {
    /// Clean clips in [-1, 1].
    public var x0: TensorValue
    /// Noise ~ N(0, 1), the shape of `x0`.
    public var eps: TensorValue
    /// Times ~ U(0, 1), one per clip.
    public var t: TensorValue

    /// A batch from its three tensors.
    public init(x0: TensorValue, eps: TensorValue, t: TensorValue) {
        self.x0 = x0
        self.eps = eps
        self.t = t
    }

    /// The tensors in ``VDiTProgram/batchParameters`` order: `x0`, `eps`, `t`.
    public var values: [TensorValue] { [x0, eps, t] }

    /// Reads a batch file (vdit.md: safetensors holding `x0`, `eps`, `t`).
    /// - Throws: ``TrainingError/batchFile(_:)`` naming a missing tensor.
    public init(_ file: SafetensorsFile) throws(TrainingError) {
        do {
            self.init(x0: try file.tensor(named: "x0"), eps: try file.tensor(named: "eps"), t: try file.tensor(named: "t"))
        } catch {
            throw .batchFile(error)
        }
    }

    /// The batch as a safetensors file, the format PyTorch and JAX peers read.
    public var file: SafetensorsFile { SafetensorsFile(tensors: ["x0": x0, "eps": eps, "t": t]) }

    /// Checks that the batch fits `configuration`, naming the first tensor that does not.
    /// - Throws: ``TrainingError/batchShapeMismatch(_:expected:found:model:)`` or
    ///   ``TrainingError/batchDTypeMismatch(_:found:)``.
    public func validate(for configuration: VDiTConfiguration) throws(TrainingError) {
        let expected = VDiTProgram(configuration: configuration).batchParameters
        for (parameter, value) in zip(expected, values) {
            guard value.dtype == .f32 else { throw .batchDTypeMismatch(parameter.name, found: value.dtype) }
            guard value.shape == parameter.type.shape else {
                throw .batchShapeMismatch(parameter.name, expected: parameter.type.shape, found: value.shape,
                                          model: "\(configuration.name) with batch size \(configuration.batchSize)")
            }
        }
    }
}
