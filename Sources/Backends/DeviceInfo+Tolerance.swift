import KernelIR

extension DeviceInfo {
    /// The ``details`` key under which a device states the base relative tolerance of its `dtype`
    /// results: `tolerance.f32`, or `tolerance.contraction.f32` for programs with a matmul or
    /// convolution (whose operands a matrix unit may round, e.g. to bf16). Values are decimal
    /// numbers, before the square-root scaling by reduction length.
    public static func toleranceKey(for dtype: DType, contracting: Bool) -> String {
        "tolerance." + (contracting ? "contraction." : "") + dtype.rawValue
    }

    /// How close this device's `dtype` results must come to the reference interpreter's: the
    /// device's stated base (``toleranceKey(for:contracting:)``), or the ``Tolerance`` table's
    /// where it states none, scaled by the square root of `reductionLength`.
    public func tolerance(for dtype: DType, reductionLength: Int, contracting: Bool) -> Tolerance {
        let table = Tolerance(for: dtype, reductionLength: reductionLength)
        guard let text = details[DeviceInfo.toleranceKey(for: dtype, contracting: contracting)], let base = Double(text), base >= 0 else {
            return table
        }
        return Tolerance(relative: base * Double(Swift.max(reductionLength, 1)).squareRoot())
    }

    /// The tolerance for `dtype` results of `graph` on this device: its longest reduction and
    /// whether it has a matmul or convolution decide.
    public func tolerance(for dtype: DType, of graph: Graph) -> Tolerance {
        let contracting = graph.instructions.contains { instruction in
            if case .matmul = instruction.op { return true }
            if case .convolution = instruction.op { return true }
            return false
        }
        return tolerance(for: dtype, reductionLength: Tolerance.reductionLength(of: graph), contracting: contracting)
    }
}
