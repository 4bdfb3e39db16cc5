import Foundation

/// A one-shot latch: `wait()` blocks until `signalAll()` has been called, then never blocks again.
final class Latch: @unchecked Sendable {
    // Safe because: `condition` guards `isOpen`, and NSCondition is thread-safe.
    private let condition = NSCondition()
    private var isOpen = false

    func signalAll() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    func wait() {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
    }
}
