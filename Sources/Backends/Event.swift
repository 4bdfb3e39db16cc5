import Synchronization

/// The completion of work enqueued on a device: wait for it, or ask whether it is done.
///
/// A class because every holder must see the same completion.
public final class Event: Sendable {
    private let state = Mutex<(done: Bool, error: BackendError?)>((false, nil))
    private let finished = Latch()

    /// Creates an event that is not yet complete.
    public init() {}

    /// An event that is already complete, successfully or with `error`.
    public static func completed(error: BackendError? = nil) -> Event {
        let event = Event()
        event.complete(error: error)
        return event
    }

    /// Marks the work done; called once by the device.
    public func complete(error: BackendError? = nil) {
        let first = state.withLock { state -> Bool in
            guard !state.done else { return false }
            state = (true, error)
            return true
        }
        if first { finished.signalAll() }
    }

    /// Whether the work is done.
    public var isComplete: Bool { state.withLock { $0.done } }

    /// Blocks until the work is done.
    /// - Throws: the ``BackendError`` the work failed with.
    public func wait() throws(BackendError) {
        finished.wait()
        if let error = state.withLock({ $0.error }) { throw error }
    }
}
