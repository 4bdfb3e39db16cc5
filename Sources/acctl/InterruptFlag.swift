import Dispatch
import Foundation
import Synchronization

/// Turns Ctrl-C (SIGINT) into a flag the training loop polls between steps, so an interrupted run
/// finishes its step and saves a checkpoint instead of dying mid-update.
final class InterruptFlag: @unchecked Sendable {
    // Safe because: `raised` is atomic, and `source` is immutable after `init`; a dispatch source may be
    // cancelled from any thread (libdispatch's objects are thread-safe).
    private let raised = Atomic<Bool>(false)
    /// Kept so the handler stays installed while the flag lives.
    private let source: any DispatchSourceSignal

    /// Starts catching SIGINT; the default action (exit) is restored when the flag is released.
    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.raised.store(true, ordering: .releasing) }
        source.resume()
    }

    deinit {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }

    /// Whether Ctrl-C was pressed.
    var isRaised: Bool { raised.load(ordering: .acquiring) }
}
