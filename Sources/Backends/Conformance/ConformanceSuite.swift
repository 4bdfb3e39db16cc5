import Foundation
import KernelIR

/// One program the conformance suite runs: a primitive example or a function of `Kernels/`.
public struct ConformanceCase: Sendable, CustomStringConvertible {
    /// `add f16`, or `softmax.kir @softmax`.
    public var name: String
    /// `primitive` or `kernel`.
    public var kind: String
    /// The program.
    public var graph: Graph
    /// Where its random floating inputs are drawn from.
    public var domain: PrimitiveCase.Domain

    public var description: String { name }

    /// Seeded inputs, as ``PrimitiveCase/inputs(seed:)`` draws them.
    public func inputs(seed: Int) -> [TensorValue] {
        PrimitiveCase(name: name, graph: graph, domain: domain).inputs(seed: seed)
    }

    /// The dtypes the program uses anywhere.
    public var dtypes: Set<DType> {
        Set(graph.parameters.map(\.type.dtype) + graph.instructions.map(\.type.dtype))
    }
}

/// What one case did on one device.
public struct ConformanceResult: Sendable, Codable, Hashable {
    /// Whether the device's results agree with the interpreter's.
    public enum Status: String, Sendable, Codable {
        /// Every result within tolerance.
        case pass
        /// Some result outside tolerance, or NaN or infinity where the interpreter has none.
        case fail
        /// Compiling or running failed with an error.
        case error
        /// The device does not compute in one of the program's dtypes.
        case skipped
    }

    /// The case's name.
    public var name: String
    /// `primitive` or `kernel`.
    public var kind: String
    /// The outcome.
    public var status: Status
    /// The largest relative error over every result (``Tolerance/worstError(_:_:)``), when it ran.
    public var worstError: Double?
    /// The relative tolerance it was held to.
    public var tolerance: Double?
    /// Mismatched elements, the error that stopped it, or why it was skipped.
    public var message: String?

    /// Creates a result.
    public init(name: String, kind: String, status: Status, worstError: Double? = nil, tolerance: Double? = nil, message: String? = nil) {
        self.name = name
        self.kind = kind
        self.status = status
        self.worstError = worstError
        self.tolerance = tolerance
        self.message = message
    }
}

/// The cross-backend equivalence suite (`acctl check`, and every device in the tests): every
/// primitive example of ``PrimitiveCatalog`` in each dtype the device computes in, and every
/// function of the `Kernels/` library, on seeded random inputs, compared with the reference
/// interpreter under ``Tolerance`` (NaN and infinity positions first, then numbers).
///
/// Programs run as written (no graph passes), so each op is tested rather than folded away. All
/// schedules are compiled in one ``Device/compile(_:)-([Schedule])`` call; when that fails, each
/// is compiled alone so the failure lands on the cases that cause it.
public enum ConformanceSuite {
    /// The primitive cases and, when `kernelsDirectory` is given, one case per function of each
    /// `.kir` file in it (inputs drawn positive, since the library's functions take logarithms
    /// and square roots of some of them).
    /// - Throws: ``KIRError`` for a malformed `.kir` file, `CocoaError` when the directory cannot be read.
    public static func cases(kernelsDirectory: URL?) throws -> [ConformanceCase] {
        var cases = PrimitiveCatalog.cases.map { ConformanceCase(name: $0.name, kind: "primitive", graph: $0.graph, domain: $0.domain) }
        guard let kernelsDirectory else { return cases }
        let files = try FileManager.default.contentsOfDirectory(atPath: kernelsDirectory.path).filter { $0.hasSuffix(".kir") }.sorted()
        for file in files {
            let text = try String(contentsOf: kernelsDirectory.appendingPathComponent(file), encoding: .utf8)
            for graph in try Module(parsing: text).functions {
                cases.append(ConformanceCase(name: "\(file) @\(graph.name)", kind: "kernel", graph: graph, domain: .positive))
            }
        }
        return cases
    }

    /// Runs `cases` on `device` with inputs from `seed`; one result per case, in order.
    public static func run(_ cases: [ConformanceCase], on device: any Device, seed: Int = 0) -> [ConformanceResult] {
        let supported = Set(device.info.dtypes.compactMap(DType.init(rawValue:)))
        var results = [ConformanceResult?](repeating: nil, count: cases.count)
        var runnable: [Int] = []
        for (index, example) in cases.enumerated() {
            let missing = example.dtypes.subtracting(supported)
            if missing.isEmpty {
                runnable.append(index)
            } else {
                results[index] = ConformanceResult(name: example.name, kind: example.kind, status: .skipped,
                                                   message: "\(device.id) does not compute in \(missing.map(\.rawValue).sorted().joined(separator: ", "))")
            }
        }
        let schedules = runnable.map { Fusion.schedule(cases[$0].graph) }
        let batch: [any Executable]? = try? device.compile(schedules)
        for (position, index) in runnable.enumerated() {
            let example = cases[index]
            do throws(BackendError) {
                let executable: any Executable
                if let batch { executable = batch[position] } else { executable = try device.compile(schedules[position]) }
                results[index] = try check(example, executable: executable, on: device, seed: seed)
            } catch {
                results[index] = ConformanceResult(name: example.name, kind: example.kind, status: .error, message: error.description)
            }
        }
        return results.compactMap { $0 }
    }

    private static func check(_ example: ConformanceCase, executable: any Executable, on device: any Device,
                              seed: Int) throws(BackendError) -> ConformanceResult {
        let inputs = example.inputs(seed: seed)
        let expected: [TensorValue]
        do {
            expected = try Interpreter().run(example.graph, inputs: inputs)
        } catch {
            return ConformanceResult(name: example.name, kind: example.kind, status: .error, message: "the interpreter failed: \(error)")
        }
        let actual = try evaluate(executable, on: inputs, device: device)
        let info = device.info
        var worst = 0.0
        var tolerance = 0.0
        var problems: [String] = []
        for (position, (got, want)) in zip(actual, expected).enumerated() {
            // The device's own bound: the dtype table, widened where its numerics say so (a simulated
            // matrix unit rounding operands to bf16, say).
            let allowed = info.tolerance(for: want.dtype, of: example.graph)
            tolerance = max(tolerance, allowed.relative)
            worst = max(worst, Tolerance.worstError(got, want))
            let mismatches = allowed.mismatches(got, want)
            if !mismatches.isEmpty { problems.append("result \(position): " + mismatches.joined(separator: "; ")) }
        }
        if actual.count != expected.count { problems.append("\(actual.count) results, expected \(expected.count)") }
        return ConformanceResult(name: example.name, kind: example.kind, status: problems.isEmpty ? .pass : .fail, worstError: worst,
                                 tolerance: tolerance, message: problems.isEmpty ? nil : problems.joined(separator: " | "))
    }

    /// Copies `inputs` to `device`, runs `executable` through ``Device/execute(_:inputs:outputs:)``,
    /// and reads the results back.
    static func evaluate(_ executable: any Executable, on inputs: [TensorValue], device: any Device) throws(BackendError) -> [TensorValue] {
        var inputBuffers: [any Buffer] = []
        for input in inputs {
            let buffer = try device.allocate(byteCount: input.type.byteCount)
            try copy(input, to: buffer, on: device)
            inputBuffers.append(buffer)
        }
        let outputTypes = executable.schedule.outputs.map(\.type)
        var outputBuffers: [any Buffer] = []
        for type in outputTypes { outputBuffers.append(try device.allocate(byteCount: type.byteCount)) }
        try device.execute(executable, inputs: inputBuffers, outputs: outputBuffers).wait()
        var results: [TensorValue] = []
        for (buffer, type) in zip(outputBuffers, outputTypes) {
            var bytes = [UInt8](repeating: 0, count: type.byteCount)
            let copied: Result<Void, BackendError> = bytes.withUnsafeMutableBytes { raw in
                do throws(BackendError) { return .success(try device.copy(from: buffer, to: raw)) } catch { return .failure(error) }
            }
            try copied.get()
            results.append(bytes.withUnsafeBytes { TensorValue(deviceBytes: $0, type: type) })
        }
        return results
    }

    private static func copy(_ value: TensorValue, to buffer: any Buffer, on device: any Device) throws(BackendError) {
        let bytes = value.deviceBytes
        let copied: Result<Void, BackendError> = bytes.withUnsafeBytes { raw in
            do throws(BackendError) { return .success(try device.copy(from: raw, to: buffer)) } catch { return .failure(error) }
        }
        try copied.get()
    }
}
