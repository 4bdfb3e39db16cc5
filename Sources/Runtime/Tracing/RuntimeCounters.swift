import Synchronization

/// What the runtime did while a body of code ran: traces, compiles and host transfers, so tests can
/// prove that a training loop replays one compiled step without round trips.
///
/// Counting is scoped to the task that calls ``counting(_:)`` (a task-local), so tests running in
/// parallel never see each other's events; a scope nested in another counts toward both.
///
/// ```swift
/// let (_, counters) = try RuntimeCounters.counting { () throws(RuntimeError) in
///     for _ in 0..<10 { _ = try step(batch) }
/// }
/// #expect(counters.traces == 1 && counters.deviceToHostTransfers == 0)
/// ```
public struct RuntimeCounters: Hashable, Sendable, CustomStringConvertible {
    /// Functions traced: a Swift closure run on placeholder tensors to record its IR.
    public var traces = 0
    /// Requests to compile a graph for a device, whether the compile cache answered or not.
    public var compileRequests = 0
    /// Graphs actually lowered and compiled for a device (compile-cache misses).
    public var compiles = 0
    /// Runs of a compiled function on a device.
    public var launches = 0
    /// Copies from host memory into a device buffer.
    public var hostToDeviceTransfers = 0
    /// Copies from a device buffer into host memory.
    public var deviceToHostTransfers = 0

    /// Creates counters, all zero.
    public init() {}

    /// Runs `body`, counting what the runtime does on this task while it runs.
    /// - Throws: what `body` throws.
    public static func counting<Result>(_ body: () throws(RuntimeError) -> Result) throws(RuntimeError) -> (Result, RuntimeCounters) {
        let recorder = Recorder(parent: current)
        let outcome: Swift.Result<Result, RuntimeError> = $current.withValue(recorder) {
            do throws(RuntimeError) { return .success(try body()) } catch { return .failure(error) }
        }
        return (try outcome.get(), recorder.counters.withLock { $0 })
    }

    /// `traces=1 compiles=1 ...`, for test messages.
    public var description: String {
        "traces=\(traces) compileRequests=\(compileRequests) compiles=\(compiles) launches=\(launches) "
            + "hostToDevice=\(hostToDeviceTransfers) deviceToHost=\(deviceToHostTransfers)"
    }

    /// Adds one to a counter of the task's active recorder, if any.
    static func record(_ counter: WritableKeyPath<RuntimeCounters, Int>) {
        var recorder = current
        while let active = recorder {
            active.counters.withLock { $0[keyPath: counter] += 1 }
            recorder = active.parent
        }
    }

    /// The counters of one ``counting(_:)`` scope.
    final class Recorder: Sendable {
        let counters = Mutex(RuntimeCounters())
        let parent: Recorder?
        init(parent: Recorder?) { self.parent = parent }
    }

    @TaskLocal static var current: Recorder?
}
