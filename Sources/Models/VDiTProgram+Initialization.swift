import KernelIR

extension VDiTProgram {
    /// Fresh parameters as vdit.md's "Initialisation" prescribes, reproducible from `seed`: linear weights
    /// and `pos_embed` ~ N(0, 0.02^2), biases 0, and adaLN-Zero (every `*.ada.*` and `final.out.*` at 0),
    /// so each block starts as the identity and the model's first output is 0.
    public func initialParameters(seed: UInt64) -> [String: TensorValue] {
        var result: [String: TensorValue] = [:]
        for (index, parameter) in parameters.enumerated() {
            let name = parameter.name
            let isZero = name.hasSuffix(".bias") || name.contains(".ada.") || name.hasPrefix("final.out.")
            guard !isZero else {
                result[name] = TensorValue(repeating: 0, parameter.type)
                continue
            }
            // One stream per parameter, keyed by its position, so adding a block leaves the others unchanged.
            let random = Philox(seed: Int(truncatingIfNeeded: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index)))
            result[name] = TensorValue(converting: (0..<parameter.type.elementCount).map { 0.02 * random.normal(at: $0) },
                                       to: parameter.type)
        }
        return result
    }
}
