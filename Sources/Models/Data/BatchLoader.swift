import Dispatch
import Synchronization

/// Prepares training batches on a background thread, `lookahead` batches ahead of the training loop,
/// so making data overlaps with the device's step.
///
/// Batches come in index order from `start`, exactly as ``RectifiedFlowBatches/batch(at:)`` makes them;
/// only their timing changes.
///
/// ```swift
/// let loader = BatchLoader(RectifiedFlowBatches(configuration: .small, seed: 1), startingAt: 0)
/// for _ in 0..<100 { let batch = loader.next(); ... }
/// ```
public final class BatchLoader: Sendable {
    /// One batch being made: signalled when `value` is set.
    private final class Slot: Sendable {
        let ready = DispatchSemaphore(value: 0)
        let value = Mutex<TrainingBatch?>(nil)
    }

    private let source: RectifiedFlowBatches
    private let lookahead: Int
    private let queue = DispatchQueue(label: "acc.batch-loader", qos: .userInitiated)
    /// The slots in flight, keyed by batch index, and the index `next()` returns next.
    private let state: Mutex<(pending: [Int: Slot], nextIndex: Int)>

    /// A loader over `source` whose first batch is `start`, keeping `lookahead` batches (at least 1) in preparation.
    public init(_ source: RectifiedFlowBatches, startingAt start: Int = 0, lookahead: Int = 2) {
        let lookahead = max(1, lookahead)
        self.source = source
        self.lookahead = lookahead
        state = Mutex(([:], start))
        for index in start..<(start + lookahead) { schedule(index) }
    }

    /// The index of the batch ``next()`` returns next.
    public var nextIndex: Int { state.withLock { $0.nextIndex } }

    /// The next batch, waiting for the background thread if it is not ready yet.
    public func next() -> TrainingBatch {
        let (index, slot) = state.withLock { state -> (Int, Slot?) in
            let index = state.nextIndex
            state.nextIndex += 1
            return (index, state.pending.removeValue(forKey: index))
        }
        schedule(index + lookahead)
        guard let slot else { return source.batch(at: index) }
        slot.ready.wait()
        return slot.value.withLock { $0 } ?? source.batch(at: index)
    }

    private func schedule(_ index: Int) {
        let slot = Slot()
        state.withLock { $0.pending[index] = slot }
        let source = self.source
        queue.async {
            let batch = source.batch(at: index)
            slot.value.withLock { $0 = batch }
            slot.ready.signal()
        }
    }
}
