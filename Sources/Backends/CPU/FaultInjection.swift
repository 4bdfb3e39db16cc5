import Synchronization

/// A switch that makes a device fail its runs with ``BackendError/deviceLost(_:reason:)``, so
/// tests (here and in the runtime) can check that a device failing mid-run gives a typed error.
///
/// Checked between kernels: an atomic load when off, so it costs nothing on the launch path.
final class FaultInjection: Sendable {
    private let isArmed = Atomic<Bool>(false)
    private let message = Mutex<String>("")

    /// The failure to report, or `nil` when the device is healthy.
    var reason: String? {
        guard isArmed.load(ordering: .acquiring) else { return nil }
        return message.withLock { $0 }
    }

    /// Makes runs fail with `reason` from now on, or heals the device when `reason` is `nil`.
    func fail(_ reason: String?) {
        message.withLock { $0 = reason ?? "" }
        isArmed.store(reason != nil, ordering: .releasing)
    }
}
