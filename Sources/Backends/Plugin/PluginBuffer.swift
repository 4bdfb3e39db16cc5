import CAccPlugin
import Synchronization

/// A plugin's buffer (`AccBuffer`): a class because every reference names the same device memory.
///
/// The buffer is destroyed through the plugin when the last reference goes, or earlier by
/// ``free()``. A run borrows the handle until its event is ready, so a ``free()`` during a run
/// takes effect when the run ends: the plugin never sees a buffer destroyed under a kernel.
final class PluginBuffer: Buffer {
    private struct State: ~Copyable {
        var handle: OpaquePointer?
        var borrowCount = 0
        var isFreeRequested = false
    }

    /// The owning device.
    let device: DeviceID
    /// The size in bytes.
    let byteCount: Int
    private let library: PluginLibrary
    private let state: Mutex<State>

    /// Wraps `handle`, a buffer of `byteCount` bytes the plugin allocated on `device`.
    init(device: DeviceID, handle: sending OpaquePointer, byteCount: Int, library: PluginLibrary) {
        self.device = device
        self.byteCount = byteCount
        self.library = library
        state = Mutex(State(handle: handle))
    }

    deinit {
        let handle = state.withLock { $0.handle }
        if let handle { destroy(handle) }
    }

    /// Releases the memory now, or when the runs using it finish; any later use throws
    /// ``BackendError/bufferFreed(_:)``. Freeing twice is harmless.
    func free() {
        let released: OpaquePointer? = state.withLock { state in
            state.isFreeRequested = true
            guard state.borrowCount == 0 else { return nil }
            defer { state.handle = nil }
            return state.handle
        }
        if let released { destroy(released) }
    }

    /// The plugin's handle, held valid until the matching ``endBorrow()``.
    /// - Throws: ``BackendError/bufferFreed(_:)`` after ``free()``.
    func borrow() throws(BackendError) -> OpaquePointer {
        let handle: OpaquePointer? = state.withLock { state in
            guard !state.isFreeRequested, let handle = state.handle else { return nil }
            state.borrowCount += 1
            return handle
        }
        guard let handle else { throw .bufferFreed(device) }
        return handle
    }

    /// Returns a handle from ``borrow()``; the last return after a ``free()`` destroys the buffer.
    func endBorrow() {
        let released: OpaquePointer? = state.withLock { state in
            precondition(state.borrowCount > 0, "PluginBuffer.endBorrow without a borrow")
            state.borrowCount -= 1
            guard state.borrowCount == 0, state.isFreeRequested else { return nil }
            defer { state.handle = nil }
            return state.handle
        }
        if let released { destroy(released) }
    }

    /// Runs `body` with the handle, borrowed for the call.
    /// - Throws: ``BackendError/bufferFreed(_:)`` after ``free()``, or what `body` throws.
    func withHandle<Result>(_ body: (OpaquePointer) throws(BackendError) -> Result) throws(BackendError) -> Result {
        let handle = try borrow()
        defer { endBorrow() }
        return try body(handle)
    }

    private func destroy(_ handle: OpaquePointer) {
        // A failure to destroy leaves nothing to do but drop the message: the handle is gone either way.
        _ = try? library.call { (arguments: inout AccBufferDestroyArgs) in arguments.buffer = handle }
    }
}
