import Backends
import CBLAS
import Foundation
import KernelIR
import Runtime

/// One row of `acctl bench`'s results: a time measured on this machine, or one a simulated
/// device's cost model gives. The two never share a row or a table.
struct BenchResult: Codable {
    /// Where a row's time comes from.
    enum Basis: String, Codable {
        /// Timed on this machine (for a simulated device: the host running the simulation).
        case measured
        /// The cost model of a simulated device (accelerators.md §5): not a measurement.
        case modeled
    }

    var suite: String
    var benchmark: String
    var device: String
    /// What was timed: `acc`, `acc (host simulation)`, or a reference such as `openblas (direct)`.
    var implementation: String
    var basis: Basis
    /// The median measured time, or the modeled time.
    var medianSeconds: Double
    /// GFLOP/s or GB/s, per ``unit``.
    var throughput: Double?
    var unit: String
    var percentOfPeak: Double?
    /// Timed runs (0 for modeled rows).
    var runs: Int
    /// Modeled rows: bytes moved between HBM and on-chip memory per run.
    var modeledHBMBytes: Int?
    /// Modeled rows: the fraction of the run the matrix unit is busy at peak.
    var modeledUtilization: Double?
    /// Modeled rows: kernels per run, and the seconds of their launch overhead.
    var modeledKernels: Int?
    var modeledLaunchSeconds: Double?

    static func table(_ results: [BenchResult], markdown: Bool) -> String {
        var rows = [["suite", "benchmark", "device", "implementation", "median", "throughput", "% peak"]]
        for result in results {
            rows.append([result.suite, result.benchmark, result.device, result.implementation, time(result.medianSeconds),
                         result.throughput.map { Format.number($0, digits: 1) + " " + result.unit } ?? "-",
                         result.percentOfPeak.map { Format.number($0, digits: 1) + "%" } ?? "-"])
        }
        return render(rows, markdown: markdown)
    }

    /// The modeled rows, with their own columns, so no modeled figure sits beside a measured one.
    static func modeledTable(_ results: [BenchResult], markdown: Bool) -> String {
        var rows = [["suite", "benchmark", "device", "modeled time", "modeled throughput", "% peak", "matrix util.", "HBM traffic", "kernels", "launch share"]]
        for result in results {
            let launchShare = result.modeledLaunchSeconds.map { result.medianSeconds > 0 ? $0 / result.medianSeconds : 0 }
            rows.append([result.suite, result.benchmark, result.device, time(result.medianSeconds),
                         result.throughput.map { Format.number($0, digits: 1) + " " + result.unit } ?? "-",
                         result.percentOfPeak.map { Format.number($0, digits: 1) + "%" } ?? "-",
                         result.modeledUtilization.map { Format.number($0 * 100, digits: 1) + "%" } ?? "-",
                         result.modeledHBMBytes.map(Format.bytes) ?? "-", result.modeledKernels.map(String.init) ?? "-",
                         launchShare.map { Format.number($0 * 100, digits: 1) + "%" } ?? "-"])
        }
        return render(rows, markdown: markdown)
    }

    private static func time(_ seconds: Double) -> String {
        seconds < 1e-3 ? Format.number(seconds * 1e6, digits: 2) + " µs" : Format.number(seconds * 1e3, digits: 3) + " ms"
    }

    private static func render(_ rows: [[String]], markdown: Bool) -> String {
        guard markdown else { return Format.table(rows) }
        let lines = rows.map { "| " + $0.joined(separator: " | ") + " |" }
        return ([lines[0], "|" + String(repeating: "---|", count: rows[0].count)] + lines.dropFirst()).joined(separator: "\n")
    }
}

/// Times benchmarks: medians of repeated runs, with reference implementations alternated run by run.
struct BenchRunner {
    let runs: Int
    let warmup: Int

    /// Timed runs of a simulated device's host simulation: one, since its time says nothing about
    /// the device (the modeled row does) and simulating a large step takes seconds.
    static let simulatedRuns = 1

    func measure(_ benchmark: Benchmark, on device: any Device) throws -> [BenchResult] {
        let function = try device.compile(benchmark.graph)
        let simulated = function.executable as? SimulatedExecutable
        let (runs, warmup) = simulated == nil ? (self.runs, self.warmup) : (Swift.min(self.runs, Self.simulatedRuns), 0)
        let inputValues = benchmark.inputs()
        let inputs = try inputValues.map { try DeviceArray($0, on: device) }
        let outputs = try function.outputTypes.map { try DeviceArray(uninitialized: $0, on: device) }
        let reference = Reference(benchmark, inputs: inputValues, threads: device.info.computeUnits)
        for _ in 0..<warmup {
            try function.run(inputs, into: outputs)
            reference?.run()
            reference?.settleDown()
        }
        var times: [Double] = [], referenceTimes: [Double] = []
        for _ in 0..<runs {
            times.append(try Self.time { try function.run(inputs, into: outputs) })
            if let reference {
                referenceTimes.append(try Self.time { reference.run() })
                reference.settleDown()
            }
        }
        guard let simulated else {
            var results = [result(benchmark, device: device, implementation: "acc", times: times)]
            if let reference { results.append(result(benchmark, device: device, implementation: reference.name, times: referenceTimes)) }
            return results
        }
        // The host's time is no figure of the simulated device: no % of its peak.
        var host = result(benchmark, device: device, implementation: "acc (host simulation)", times: times)
        host.percentOfPeak = nil
        return [host, modeled(benchmark, device: device, cost: simulated.modeledCost)]
    }

    /// The row the simulated device's cost model gives for one run.
    private func modeled(_ benchmark: Benchmark, device: any Device, cost: RunCost) -> BenchResult {
        var row = result(benchmark, device: device, implementation: "acc (modeled)", times: [cost.time])
        row.basis = .modeled
        row.runs = 0
        row.modeledHBMBytes = cost.hbmBytes
        row.modeledUtilization = cost.utilization
        row.modeledKernels = cost.kernelCount
        row.modeledLaunchSeconds = cost.launchTime
        return row
    }

    private func result(_ benchmark: Benchmark, device: any Device, implementation: String, times: [Double]) -> BenchResult {
        let median = times.sorted()[times.count / 2]
        var throughput: Double?, unit = "", peak: Double?
        switch benchmark.work {
        case let .flops(count):
            throughput = Double(count) / median / 1e9
            unit = "GFLOP/s"
            peak = device.info.peakGFLOPS
        case let .bytes(count):
            throughput = Double(count) / median / 1e9
            unit = "GB/s"
            peak = device.info.peakBandwidthGBps
        case .launch:
            unit = "per run"
        }
        var percent: Double?
        if let throughput, let peak, peak > 0 { percent = throughput / peak * 100 }
        return BenchResult(suite: benchmark.suite, benchmark: benchmark.name, device: device.id.rawValue, implementation: implementation,
                           basis: .measured, medianSeconds: median, throughput: throughput, unit: unit, percentOfPeak: percent,
                           runs: times.count)
    }

    static func time(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// A reference implementation timed beside acc in the same run.
final class Reference {
    let name: String
    private let body: () -> Void
    private let settle: () -> Void

    private init(name: String, body: @escaping () -> Void, settle: @escaping () -> Void = {}) {
        self.name = name
        self.body = body
        self.settle = settle
    }

    /// Runs the reference once.
    func run() { body() }

    /// Waits, untimed, until the reference no longer takes the cores acc's next run needs.
    func settleDown() { settle() }

    /// The reference for `benchmark`, if it has one: OpenBLAS called directly for GEMM, threaded
    /// by OpenBLAS itself over `threads` cores as a program calling it would be (acc's CPU
    /// backend otherwise keeps OpenBLAS single-threaded); a plain memory copy of the same bytes
    /// for the elementwise chain.
    convenience init?(_ benchmark: Benchmark, inputs: [TensorValue], threads: Int) {
        switch benchmark.suite {
        case "gemm":
            let n = inputs[0].shape[0]
            let a = inputs[0].scalars.map(Float.init), b = inputs[1].scalars.map(Float.init)
            var c = [Float](repeating: 0, count: n * n)
            self.init(name: "openblas (direct)") {
                openblas_set_num_threads(Int32(clamping: threads))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
                openblas_set_num_threads(1)
            } settle: {
                // OpenBLAS's threads poll for work for about 2^28 cycles (its THREAD_TIMEOUT) after a
                // call before they sleep; acc's next run would otherwise share the cores with them.
                Thread.sleep(forTimeInterval: 0.25)
            }
        case "elementwise":
            let count = inputs[0].type.byteCount
            let source = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
            let target = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
            source.initializeMemory(as: UInt8.self, repeating: 1, count: count)
            target.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            self.init(name: "memcpy") { target.copyMemory(from: source, byteCount: count) }
        default:
            return nil
        }
    }
}
