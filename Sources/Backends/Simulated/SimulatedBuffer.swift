import Foundation
import Synchronization

/// The HBM capacity of one simulated device and what is taken from it: buffers, and the planned
/// slots of runs in flight. A class because every buffer of the device draws on the same ledger.
final class MemoryLedger: Sendable {
    /// The device's HBM size in bytes.
    let capacity: Int
    private let used = Mutex<Int>(0)

    init(capacity: Int) { self.capacity = capacity }

    /// Takes `byteCount` bytes, or returns the bytes available when they are too few.
    func reserve(_ byteCount: Int) -> Result<Void, Available> {
        used.withLock { used in
            guard byteCount <= capacity - used else { return .failure(Available(bytes: capacity - used)) }
            used += byteCount
            return .success(())
        }
    }

    /// Gives back bytes taken by ``reserve(_:)``.
    func release(_ byteCount: Int) {
        used.withLock { used in
            precondition(used >= byteCount, "MemoryLedger: releasing more than was reserved")
            used -= byteCount
        }
    }

    /// Bytes not taken.
    var availableBytes: Int { used.withLock { capacity - $0 } }

    /// Bytes available when a reservation failed.
    struct Available: Error { let bytes: Int }
}

/// Simulated device memory: host memory of the buffer's size, charged to the device's HBM
/// ledger until freed. A class because every reference names the same bytes.
///
/// Runs copy in and out under the buffer's lock, so a ``free()`` racing a run is safe: the run
/// either copies before the free or fails with ``BackendError/bufferFreed(_:)``.
final class SimulatedBuffer: Buffer {
    /// The owning device.
    let device: DeviceID
    /// The size in bytes.
    let byteCount: Int
    private let ledger: MemoryLedger
    /// The memory's address as an integer (0 once freed): a pointer is not `Sendable`, its bit
    /// pattern is, and the memory is only touched while this lock is held.
    private let address: Mutex<UInt>

    /// Wraps `byteCount` bytes at `pointer` (from `malloc`), already reserved in `ledger`.
    init(device: DeviceID, byteCount: Int, pointer: UnsafeMutableRawPointer, ledger: MemoryLedger) {
        self.device = device
        self.byteCount = byteCount
        self.ledger = ledger
        address = Mutex(UInt(bitPattern: pointer))
    }

    deinit { free() }

    /// Releases the memory and its share of HBM now; later use throws ``BackendError/bufferFreed(_:)``.
    /// Freeing twice is harmless.
    func free() {
        let released = address.withLock { address in
            defer { address = 0 }
            return address
        }
        guard let pointer = UnsafeMutableRawPointer(bitPattern: released) else { return }
        Foundation.free(pointer)
        ledger.release(byteCount)
    }

    /// Runs `body` on the buffer's bytes while holding its lock.
    /// - Throws: ``BackendError/bufferFreed(_:)`` after ``free()``, or what `body` throws.
    func withBytes<Result>(_ body: (UnsafeMutableRawBufferPointer) throws(BackendError) -> Result) throws(BackendError) -> Result {
        let outcome: Swift.Result<Result, BackendError> = address.withLock { address in
            guard let pointer = UnsafeMutableRawPointer(bitPattern: address) else { return .failure(.bufferFreed(device)) }
            do throws(BackendError) {
                return .success(try body(UnsafeMutableRawBufferPointer(start: pointer, count: byteCount)))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
