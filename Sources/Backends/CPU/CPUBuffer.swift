import Synchronization

/// Host memory on a CPU device's NUMA node: a class because every reference names the same bytes.
///
/// The memory is released when the last reference goes, or earlier by ``free()``. A run borrows
/// the buffer's address for its duration; a ``free()`` during a run takes effect when the run
/// returns the address, so a racing free never pulls memory out from under a kernel.
final class CPUBuffer: Buffer {
    private struct State: ~Copyable {
        var memory: NodeMemory?
        var borrowCount = 0
        var isFreeRequested = false
    }

    /// The owning device.
    let device: DeviceID
    /// The size in bytes.
    let byteCount: Int
    private let state: Mutex<State>

    /// Wraps memory of `byteCount` bytes that `device` allocated.
    init(device: DeviceID, memory: NodeMemory) {
        self.device = device
        byteCount = memory.byteCount
        state = Mutex(State(memory: memory))
    }

    /// Releases the memory now, or when the runs using it finish; any later use throws
    /// ``BackendError/bufferFreed(_:)``. Freeing twice is harmless.
    func free() {
        let released: NodeMemory? = state.withLock { state in
            state.isFreeRequested = true
            guard state.borrowCount == 0 else { return nil }
            defer { state.memory = nil }
            return state.memory
        }
        // The memory is freed here, outside the lock, when `released` goes out of scope.
        _ = released
    }

    /// Whether ``free()`` has been called.
    var isFreed: Bool { state.withLock { $0.isFreeRequested } }

    /// The buffer's address, held valid until the matching ``endBorrow()``.
    /// - Throws: ``BackendError/bufferFreed(_:)`` after ``free()``.
    func borrow() throws(BackendError) -> UnsafeMutableRawPointer {
        let pointer: UnsafeMutableRawPointer? = state.withLock { state in
            guard !state.isFreeRequested, let memory = state.memory else { return nil }
            state.borrowCount += 1
            return memory.pointer
        }
        guard let pointer else { throw .bufferFreed(device) }
        return pointer
    }

    /// Returns an address from ``borrow()``; the last return after a ``free()`` releases the memory.
    func endBorrow() {
        let released: NodeMemory? = state.withLock { state in
            precondition(state.borrowCount > 0, "CPUBuffer.endBorrow without a borrow")
            state.borrowCount -= 1
            guard state.borrowCount == 0, state.isFreeRequested else { return nil }
            defer { state.memory = nil }
            return state.memory
        }
        _ = released
    }

    /// Runs `body` with the buffer's bytes, borrowed for the call.
    /// - Throws: ``BackendError/bufferFreed(_:)`` after ``free()``, or what `body` throws.
    func withUnsafeMutableBytes<Result>(_ body: (UnsafeMutableRawBufferPointer) throws(BackendError) -> Result) throws(BackendError) -> Result {
        let pointer = try borrow()
        defer { endBorrow() }
        return try body(UnsafeMutableRawBufferPointer(start: pointer, count: byteCount))
    }
}
