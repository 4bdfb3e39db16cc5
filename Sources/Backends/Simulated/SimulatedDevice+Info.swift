import Foundation
import KernelIR

extension SimulatedDevice {
    /// What a device of `profile` reports: its figures for `acctl devices`, and the tolerances its
    /// numerics call for, under ``DeviceInfo/toleranceKey(for:contracting:)``.
    ///
    /// `peakGFLOPS` is the matrix rate f32 programs get under the profile's `fp32_matmul` (the
    /// bf16 rate on TPU and Trainium, which round f32 operands to bf16).
    static func info(for profile: DeviceProfile, freeBytes: Int) -> DeviceInfo {
        let model = CostModel(profile: profile)
        let numerics = DeviceNumerics(profile: profile)
        var details: [String: String] = [
            "profile": "\(profile.id) (\(profile.file))",
            "vendor": profile.vendor,
            "family": profile.family.rawValue,
            "clock": "\(TextFormat.number(profile.clockHz / 1e9, digits: 2)) GHz",
            "matrix tile": "\(profile.matrixTile.m)x\(profile.matrixTile.n)x\(profile.matrixTile.k) (\(profile.matrixTile.dtypes.joined(separator: " ")))",
            "compute units": "\(profile.computeUnitCount) \(profile.computeUnitKind)",
            "fp32 matmul": "\(profile.fp32Matmul.rawValue) at \(TextFormat.rate(model.matrixPeak(profile.fp32Matmul)))",
            "fp32 convolution": "\(profile.fp32Convolution.rawValue) at \(TextFormat.rate(model.matrixPeak(profile.fp32Convolution)))",
            "hbm": "\(TextFormat.bytes(profile.memoryBytes)) at \(TextFormat.number(profile.bandwidth / 1e9, digits: 0)) GB/s",
            "vector": "\(profile.vector.units) x \(profile.vector.buffer), fp32 \(TextFormat.rate(profile.vector.peak(computing: .f32)))",
            "launch overhead": "\(TextFormat.duration(profile.launchOverhead)) (est.)",
            "interconnect": "\(profile.interconnect.name) \(TextFormat.number(profile.interconnect.bandwidth / 1e9, digits: 0)) GB/s per direction",
            "sources": profile.sourceURLs.joined(separator: " "),
        ]
        for (name, rate) in [("bf16", profile.peakFLOPS.bf16), ("fp16", profile.peakFLOPS.fp16), ("fp32", profile.peakFLOPS.fp32), ("int8", profile.peakFLOPS.int8)] {
            details["peak \(name)"] = rate.map(TextFormat.rate) ?? "none (converted to fp32)"
        }
        for buffer in profile.onChip { details["on-chip \(buffer.name)"] = "\(TextFormat.bytes(buffer.bytes)) per \(buffer.per)" }
        for dtype in [DType.f32, .f16, .bf16] {
            details[DeviceInfo.toleranceKey(for: dtype, contracting: false)] = "\(Tolerance(for: dtype).relative)"
            details[DeviceInfo.toleranceKey(for: dtype, contracting: true)] = "\(contractionTolerance(dtype, numerics))"
        }
        return DeviceInfo(id: profile.deviceID.rawValue, backend: "sim", name: profile.name, computeUnits: profile.computeUnitCount,
                          memoryBytes: profile.memoryBytes, freeMemoryBytes: freeBytes,
                          peakGFLOPS: model.matrixPeak(profile.fp32Matmul) / 1e9, peakBandwidthGBps: profile.bandwidth / 1e9,
                          dtypes: [.f32, .f16, .bf16, .i32, .bool], isSimulated: true, details: details)
    }

    /// The base tolerance of `dtype` results of programs with a contraction: two units in the last
    /// place of the format the matrix unit rounds operands to (`2 · 2^-p` for `p` explicit mantissa
    /// bits: bf16 1.6e-2, fp16 and tf32 2e-3, hf32 1e-3, the bf16x3 split about 3e-5), never below
    /// the dtype's own entry of the ``Tolerance`` table. The larger of the matmul and convolution
    /// precisions applies.
    static func contractionTolerance(_ dtype: DType, _ numerics: DeviceNumerics) -> Double {
        func twoUnits(_ precision: MatrixPrecision?) -> Double {
            let bits: Int = switch precision {
            case .bf16x1?: 7
            case .fp16?, .tf32?: 10
            case .hf32?: 11
            case .bf16x3?: 15
            case .native?, .bf16x6?, nil: 23
            }
            return 2 * pow(2, -Double(bits))
        }
        let matmul = twoUnits(numerics.precision(for: dtype, convolution: false))
        let convolution = twoUnits(numerics.precision(for: dtype, convolution: true))
        return Swift.max(Tolerance(for: dtype).relative, matmul, convolution)
    }
}
