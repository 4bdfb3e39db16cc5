import Backends
import KernelIR
import Synchronization

/// Compiled functions kept by (graph, device, options), so compiling the same program twice is a lookup.
final class CompileCache: Sendable {
    struct Key: Hashable, Sendable {
        let graph: Graph
        let device: DeviceID
        let options: CompileOptions
    }

    static let shared = CompileCache()

    private let entries = Mutex<[Key: CompiledFunction]>([:])
    private let counters = Mutex<(hits: Int, compiles: Int)>((0, 0))

    /// The cached function for `key`, or the one `make` builds, stored for next time.
    func function(for key: Key, make: () throws(RuntimeError) -> CompiledFunction) throws(RuntimeError) -> CompiledFunction {
        RuntimeCounters.record(\.compileRequests)
        if let cached = entries.withLock({ $0[key] }) {
            counters.withLock { $0.hits += 1 }
            return cached
        }
        let function = try make()
        counters.withLock { $0.compiles += 1 }
        RuntimeCounters.record(\.compiles)
        entries.withLock { $0[key] = function }
        return function
    }

    /// How many compiles ran and how many lookups were answered from the cache.
    var statistics: (hits: Int, compiles: Int) { counters.withLock { $0 } }
}

extension Device {
    /// `graph` compiled for this device: optimized, scheduled and lowered once per (graph, device,
    /// options), then served from the in-memory cache.
    /// - Throws: ``RuntimeError/program(_:)`` for a malformed graph, ``RuntimeError/backend(_:)`` when lowering fails.
    public func compile(_ graph: Graph, options: CompileOptions = CompileOptions()) throws(RuntimeError) -> CompiledFunction {
        let key = CompileCache.Key(graph: graph, device: id, options: options)
        return try CompileCache.shared.function(for: key) { () throws(RuntimeError) -> CompiledFunction in
            let program: Graph
            do throws(KIRError) {
                try Verifier.verify(graph)
                program = options.optimizes ? try graph.optimized() : graph
            } catch {
                throw .program(error)
            }
            let executable: any Executable
            do throws(BackendError) { executable = try compile(Fusion.schedule(program, options: fusionOptions)) } catch { throw .backend(error) }
            return CompiledFunction(name: graph.name, device: self, executable: executable,
                                    inputTypes: graph.parameters.map(\.type), outputTypes: graph.resultTypes)
        }
    }
}
