import COpenCL
import Foundation
import KernelIR
import Synchronization

/// Picks each contraction's ``GEMMTile`` for one device: products too small to matter get
/// ``GEMMTile/standard(for:isCPU:)``; for larger ones the tuner times the handful of
/// ``GEMMTile/candidates`` once and keeps the fastest in an on-disk cache, keyed by the device's
/// compiler identity (name, driver, platform) and the problem's ``GEMMProblem/shapeClass``.
///
/// `ACC_OPENCL_TUNE=off` never tunes (cached results are still used); `acctl bench --tune` calls
/// ``retune()`` so every shape class met afterwards in the process is timed again.
public final class GEMMTuner: Sendable {
    /// When the tuner times candidates.
    public enum Policy: String, Sendable {
        /// Time a shape class the first time it is met on this device, then use the cache.
        case auto
        /// Never time; use cached results or the standard tile.
        case off
        /// Time every shape class again once in this process, replacing cached results.
        case retune

        /// `ACC_OPENCL_TUNE` (`auto`, `off` or `retune`); `auto` when unset or unknown.
        init(environment: [String: String]) {
            self = environment["ACC_OPENCL_TUNE"].flatMap(Policy.init(rawValue:)) ?? .auto
        }
    }

    /// Products of at least this many multiply-adds are tuned by default; smaller ones take a few
    /// microseconds whatever the tile. `ACC_OPENCL_TUNE_MIN_MULTIPLY_ADDS` overrides it.
    public static let defaultThreshold = 1 << 24

    /// Products of at least this many multiply-adds are tuned.
    public let threshold: Int
    /// The tiles timed.
    let candidates: [GEMMTile]

    private struct State: Sendable {
        var policy: Policy
        var tiles: [String: GEMMTile]
        var loaded = false
        var retuned: Set<String> = []
        var forced: GEMMTile?
    }

    private struct Document: Codable {
        var identity: String
        var tiles: [String: GEMMTile]
    }

    private let file: URL
    private let identity: String
    private let state: Mutex<State>

    init(directory: URL, identity: String, environment: [String: String], candidates: [GEMMTile] = GEMMTile.candidates) {
        threshold = environment["ACC_OPENCL_TUNE_MIN_MULTIPLY_ADDS"].flatMap { Int($0) } ?? Self.defaultThreshold
        self.candidates = candidates
        let policy = Policy(environment: environment)
        file = directory.appendingPathComponent("tuning-\(String(KernelCache.fnv1a(Array(identity.utf8)), radix: 16)).json")
        self.identity = identity
        state = Mutex(State(policy: policy, tiles: [:]))
    }

    /// Makes every shape class met from now on in this process be timed again.
    public func retune() {
        state.withLock { state in
            state.policy = .retune
            state.retuned = []
        }
    }

    /// Makes every contraction compiled from now on use `tile` (or the tuner's choice again when
    /// `nil`), for tests of each kernel variant.
    package func force(_ tile: GEMMTile?) {
        state.withLock { $0.forced = tile }
    }

    /// The tuned tiles by shape class, from the cache and this process.
    public var tunedTiles: [String: GEMMTile] {
        state.withLock { state in
            load(&state)
            return state.tiles
        }
    }

    /// The file holding this device's results.
    public var cacheFile: URL { file }

    /// The tile for `problem` on `device`, timing candidates when the policy says so.
    func tile(for problem: GEMMProblem, on device: OpenCLDevice) -> GEMMTile {
        if let forced = state.withLock({ $0.forced }) { return forced }
        let standard = GEMMTile.standard(for: problem, isCPU: device.properties.isCPU)
        guard problem.multiplyAdds >= threshold else { return standard }
        let key = problem.shapeClass
        return state.withLock { state in
            load(&state)
            let needsTiming = switch state.policy {
            case .auto: state.tiles[key] == nil
            case .off: false
            case .retune: !state.retuned.contains(key)
            }
            guard needsTiming else { return state.tiles[key] ?? standard }
            guard let best = fastest(for: problem, on: device) else { return state.tiles[key] ?? standard }
            state.tiles[key] = best
            state.retuned.insert(key)
            save(state.tiles)
            return best
        }
    }

    private func load(_ state: inout State) {
        guard !state.loaded else { return }
        state.loaded = true
        guard let data = try? Data(contentsOf: file), let document = try? JSONDecoder().decode(Document.self, from: data),
              document.identity == identity else { return }
        state.tiles.merge(document.tiles) { current, _ in current }
    }

    private func save(_ tiles: [String: GEMMTile]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(Document(identity: identity, tiles: tiles)) else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: file, options: .atomic)
    }

    /// The fastest candidate that builds and runs on `device`, by the best of three timed runs
    /// after a warm-up; `nil` when none does.
    private func fastest(for problem: GEMMProblem, on device: OpenCLDevice) -> GEMMTile? {
        let properties = device.properties
        let candidates = candidates.filter {
            $0.fits(maximumWorkGroupSize: properties.maximumWorkGroupSize, localMemoryBytes: properties.localMemoryBytes)
        }
        let (leftCount, rightCount, outputCount) = problem.elementCounts
        let elementBytes = problem.dtype.byteCount
        guard let left = try? device.allocateBuffer(byteCount: leftCount * elementBytes),
              let right = try? device.allocateBuffer(byteCount: rightCount * elementBytes),
              let output = try? device.allocateBuffer(byteCount: outputCount * elementBytes) else { return nil }
        for buffer in [left, right] { device.fillWithZeros(buffer) }
        var best: (tile: GEMMTile, seconds: Double)?
        for tile in candidates {
            guard let seconds = time(tile, problem: problem, buffers: [left, right, output], on: device, toBeat: best?.seconds ?? .infinity) else { continue }
            if best == nil || seconds < (best?.seconds ?? .infinity) { best = (tile, seconds) }
        }
        return best?.tile
    }

    /// The best of up to three runs after a warm-up; a candidate already twice as slow as `toBeat`,
    /// or taking a quarter second a run, is timed once, so tuning a large product stays short.
    private func time(_ tile: GEMMTile, problem: GEMMProblem, buffers: [OpenCLBuffer], on device: OpenCLDevice, toBeat: Double) -> Double? {
        let gemm = GEMMKernel(problem: problem, tile: tile, leftInput: 0, rightInput: 1, inputDTypes: [problem.dtype, problem.dtype],
                              outputDType: problem.dtype, epilogue: nil)
        let dialect = Dialect.openCL
        let source = "/* acc GEMM tuning candidate \(tile) */\n" + dialect.helpers + dialect.mathHelpers
            + gemm.source().replacingOccurrences(of: CFamilyRenderer.functionNameToken, with: "acc_tune")
        guard let program = try? device.buildProgram(source: source, label: "GEMM tuning candidate \(tile)"),
              case let .success(kernel) = program.kernel(named: "acc_tune"),
              (kernel.maximumWorkGroupSize(on: device.handle) ?? 0) >= tile.groupSize else { return nil }
        let plan = OpenCLKernelPlan(functionName: "acc_tune", label: "tuning", buffers: [0, 1, 2], elementCount: 0,
                                    globalSize: gemm.globalSize, localSize: gemm.localSize, isLocalSizeFlexible: false)
        let launch = OpenCLLaunch(kernel: kernel, plan: plan)
        guard device.runAlone(launch, buffers: buffers) else { return nil }
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            guard device.runAlone(launch, buffers: buffers) else { return nil }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
            if seconds > 0.25 || seconds > 2 * toBeat { break }
        }
        return best
    }
}

extension GEMMProblem {
    /// Elements of the left operand, the right operand and the result.
    var elementCounts: (left: Int, right: Int, output: Int) {
        switch layout {
        case let .matmul(left, right, output): (left.elementCount, right.elementCount, output.elementCount)
        case let .convolution(input, filter, output, _): (input.elementCount, filter.elementCount, output.elementCount)
        }
    }
}
