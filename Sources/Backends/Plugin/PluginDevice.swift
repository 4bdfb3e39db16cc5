import CAccPlugin
import Foundation
import KernelIR

/// A device a plugin provides (`plugin:NAME:N`): its buffers, executables and runs are the
/// plugin's, reached through `acc_plugin.h`'s function table.
///
/// ``execute(_:inputs:outputs:)`` returns once the plugin has queued the run; the event completes
/// through the plugin's callback (ABI 1.1) or a thread waiting on the plugin's event (ABI 1.0).
/// ``run(_:inputs:outputs:)`` waits on the calling thread.
public final class PluginDevice: Device, @unchecked Sendable {
    // Safe because: every property is immutable after init, and acc_plugin.h requires every
    // entry of the plugin to be callable from any thread at once.

    /// The device's id, `plugin:NAME:N`.
    public let id: DeviceID
    /// The plugin's `AccDevice`.
    let handle: OpaquePointer
    let library: PluginLibrary
    private let fixedInfo: DeviceInfo

    init(id: DeviceID, handle: OpaquePointer, library: PluginLibrary, info: DeviceInfo) {
        self.id = id
        self.handle = handle
        self.library = library
        fixedInfo = info
    }

    /// What the plugin reports, with free memory where its ABI (1.1) can tell it.
    public var info: DeviceInfo {
        var info = fixedInfo
        let handle = handle
        if let stats = try? library.call({ (arguments: inout AccDeviceMemoryStatsArgs) in arguments.device = handle }) {
            info.freeMemoryBytes = Int(stats.bytes_free)
        }
        return info
    }

    /// A new buffer of `byteCount` bytes, uninitialised.
    /// - Throws: ``BackendError/allocationTooLarge(_:requested:maximum:)`` beyond the device's
    ///   memory, ``BackendError/outOfMemory(_:requested:available:)`` when the plugin has too little
    ///   free, and the plugin's other errors mapped as ``PluginFailure/backendError(on:during:)`` says.
    public func allocate(byteCount: Int) throws(BackendError) -> any Buffer {
        guard byteCount >= 0, byteCount <= fixedInfo.memoryBytes else {
            throw .allocationTooLarge(id, requested: byteCount, maximum: fixedInfo.memoryBytes)
        }
        let handle = handle
        let arguments: AccBufferAllocateArgs
        do throws(PluginFailure) {
            arguments = try library.call { (arguments: inout AccBufferAllocateArgs) in
                arguments.device = handle
                arguments.byte_count = byteCount
            }
        } catch {
            if error.has(ACC_ERROR_OUT_OF_MEMORY) {
                throw .outOfMemory(id, requested: byteCount, available: info.freeMemoryBytes ?? fixedInfo.memoryBytes)
            }
            throw error.backendError(on: id, during: "allocating \(byteCount) bytes")
        }
        guard let buffer = arguments.buffer else {
            throw .executionFailed(id, kernel: "buffer_allocate", reason: "the plugin reported success but returned no buffer")
        }
        return PluginBuffer(device: id, handle: buffer, byteCount: byteCount, library: library)
    }

    /// Copies host bytes into `buffer`.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)`` for a freed one, and the plugin's errors.
    public func copy(from bytes: UnsafeRawBufferPointer, to buffer: any Buffer) throws(BackendError) {
        let owned = try own(buffer, byteCount: bytes.count, direction: "copying \(bytes.count) host bytes into")
        try owned.withHandle { handle throws(BackendError) in
            try perform("copying \(bytes.count) bytes to the device") { () throws(PluginFailure) in
                _ = try library.call { (arguments: inout AccBufferCopyFromHostArgs) in
                    arguments.buffer = handle
                    arguments.data = bytes.baseAddress
                    arguments.byte_count = bytes.count
                }
            }
        }
    }

    /// Copies `buffer`'s bytes to the host.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for another device's buffer or a size
    ///   that differs, ``BackendError/bufferFreed(_:)`` for a freed one, and the plugin's errors.
    public func copy(from buffer: any Buffer, to bytes: UnsafeMutableRawBufferPointer) throws(BackendError) {
        let owned = try own(buffer, byteCount: bytes.count, direction: "copying into \(bytes.count) host bytes from")
        try owned.withHandle { handle throws(BackendError) in
            try perform("copying \(bytes.count) bytes from the device") { () throws(PluginFailure) in
                _ = try library.call { (arguments: inout AccBufferCopyToHostArgs) in
                    arguments.buffer = handle
                    arguments.data = bytes.baseAddress
                    arguments.byte_count = bytes.count
                }
            }
        }
    }

    /// Compiles `schedule` by handing its serialized text (``Schedule/serializedText``) to the plugin.
    /// - Throws: ``BackendError/compilationFailed(_:kernel:log:source:)`` when the plugin rejects
    ///   the program, with the text saved where the message says; ``BackendError/notImplemented(_:_:)``
    ///   for what the plugin cannot run; and the plugin's other errors.
    public func compile(_ schedule: Schedule) throws(BackendError) -> any Executable {
        let text = schedule.serializedText
        let handle = handle
        let library = library
        let result = text.withCString { program in
            Result { () throws(PluginFailure) in
                try library.call { (arguments: inout AccExecutableCompileArgs) in
                    arguments.device = handle
                    arguments.program = program
                    arguments.program_size = text.utf8.count
                }
            }
        }
        switch result {
        case let .success(arguments):
            guard let executable = arguments.executable else {
                throw .compilationFailed(id, kernel: schedule.name, log: "the plugin reported success but returned no executable", source: Self.save(text, name: schedule.name))
            }
            return PluginExecutable(device: id, schedule: schedule, handle: executable, library: library)
        case let .failure(failure) where failure.has(ACC_ERROR_INVALID_PROGRAM):
            throw .compilationFailed(id, kernel: schedule.name, log: failure.message, source: Self.save(text, name: schedule.name))
        case let .failure(failure):
            throw failure.backendError(on: id, during: "compiling '\(schedule.name)'")
        }
    }

    /// Hands a run to the plugin and returns at once; the event reports the errors
    /// ``run(_:inputs:outputs:)`` throws.
    public func execute(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) -> Event {
        do throws(BackendError) {
            let run = try launch(executable, inputs: inputs, outputs: outputs)
            run.completeAsynchronously()
            return run.completion
        } catch {
            return .completed(error: error)
        }
    }

    /// Runs `executable` and waits for it on the calling thread.
    /// - Throws: ``BackendError/bufferMismatch(_:reason:)`` for a wrong executable or wrong
    ///   buffers, ``BackendError/bufferFreed(_:)``, and the plugin's errors, mapped as
    ///   ``PluginFailure/backendError(on:during:)`` says.
    public func run(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) throws(BackendError) {
        let run = try launch(executable, inputs: inputs, outputs: outputs)
        run.awaitCompletion()
        try run.completion.wait()
    }

    /// Checks the executable and buffers, borrows the buffers and calls `executable_execute`.
    private func launch(_ executable: any Executable, inputs: [any Buffer], outputs: [any Buffer]) throws(BackendError) -> PluginRun {
        guard let compiled = executable as? PluginExecutable, compiled.device == id else {
            throw .bufferMismatch(id, reason: "the executable was compiled for \(executable.device), not \(id); compile the schedule for \(id)")
        }
        let schedule = compiled.schedule
        guard inputs.count == schedule.inputTypes.count, outputs.count == schedule.outputs.count else {
            throw .bufferMismatch(id, reason: "'\(schedule.name)' takes \(schedule.inputTypes.count) input and \(schedule.outputs.count) output buffers, got \(inputs.count) and \(outputs.count)")
        }
        var owned: [PluginBuffer] = []
        for (index, buffer) in inputs.enumerated() {
            owned.append(try own(buffer, role: "input \(index)", of: schedule, type: schedule.inputTypes[index]))
        }
        for (index, buffer) in outputs.enumerated() {
            owned.append(try own(buffer, role: "output \(index)", of: schedule, type: schedule.outputs[index].type))
        }
        var handles: [OpaquePointer?] = []
        do throws(BackendError) {
            for buffer in owned { handles.append(try buffer.borrow()) }
        } catch {
            for buffer in owned.prefix(handles.count) { buffer.endBorrow() }
            throw error
        }
        let library = library
        let inputCount = inputs.count
        let result = handles.withUnsafeBufferPointer { pointers in
            Result { () throws(PluginFailure) in
                try library.call { (arguments: inout AccExecutableExecuteArgs) in
                    arguments.executable = compiled.handle
                    arguments.inputs = pointers.baseAddress
                    arguments.input_count = inputCount
                    arguments.outputs = pointers.baseAddress.map { $0 + inputCount }
                    arguments.output_count = owned.count - inputCount
                }
            }
        }
        switch result {
        case let .success(arguments):
            return PluginRun(device: id, library: library, executable: compiled, buffers: owned, eventHandle: arguments.event)
        case let .failure(failure):
            for buffer in owned { buffer.endBorrow() }
            throw failure.backendError(on: id, during: "executing '\(schedule.name)'")
        }
    }

    /// Runs `body`, turning a plugin failure into the ``BackendError`` of `operation`.
    private func perform(_ operation: @autoclosure () -> String, _ body: () throws(PluginFailure) -> Void) throws(BackendError) {
        do throws(PluginFailure) {
            try body()
        } catch {
            throw error.backendError(on: id, during: operation())
        }
    }

    private func own(_ buffer: any Buffer, byteCount: Int, direction: String) throws(BackendError) -> PluginBuffer {
        guard let owned = buffer as? PluginBuffer, owned.device == id else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(buffer.device); use a buffer allocated on \(id)")
        }
        guard owned.byteCount == byteCount else {
            throw .bufferMismatch(id, reason: "\(direction) a buffer of \(owned.byteCount) bytes; the sizes must match")
        }
        return owned
    }

    private func own(_ buffer: any Buffer, role: String, of schedule: Schedule, type: TensorType) throws(BackendError) -> PluginBuffer {
        guard let owned = buffer as? PluginBuffer, owned.device == id else {
            throw .bufferMismatch(id, reason: "\(role) of '\(schedule.name)' is a buffer of \(buffer.device); copy it to \(id) first")
        }
        guard owned.byteCount == type.byteCount else {
            throw .bufferMismatch(id, reason: "\(role) of '\(schedule.name)' is \(type) (\(type.byteCount) bytes), but the buffer holds \(owned.byteCount) bytes")
        }
        return owned
    }

    /// Saves a program the plugin rejected, so that its author can read the line the message names.
    private static func save(_ text: String, name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acc-plugin-programs", isDirectory: true)
        var hasher = Hasher()
        hasher.combine(text)
        let file = directory.appendingPathComponent("\(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })-\(UInt(bitPattern: hasher.finalize())).schedule")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
            return file.path
        } catch {
            return "nowhere: \(error.localizedDescription)"
        }
    }
}
