import CAccPlugin

/// An argument struct of `acc_plugin.h`: `struct_size` first, zero-initialisable, and the
/// argument of exactly one entry of the table, so that the struct's type picks the entry it is
/// passed to.
protocol PluginArguments {
    init()
    var struct_size: Int { get set }
    /// The entry this struct is the argument of, and its name for messages.
    static var entry: PartialKeyPath<AccPluginApi> { get }
    static var entryName: String { get }
    /// The entry in `table`.
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)?
}

extension AccPluginInitializeArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.plugin_initialize }
    static var entryName: String { "plugin_initialize" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.plugin_initialize }
}

extension AccDeviceListArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.device_list }
    static var entryName: String { "device_list" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.device_list }
}

extension AccDeviceDescribeArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.device_describe }
    static var entryName: String { "device_describe" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.device_describe }
}

extension AccDeviceMemoryStatsArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.device_memory_stats }
    static var entryName: String { "device_memory_stats" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.device_memory_stats }
}

extension AccBufferAllocateArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.buffer_allocate }
    static var entryName: String { "buffer_allocate" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.buffer_allocate }
}

extension AccBufferDestroyArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.buffer_destroy }
    static var entryName: String { "buffer_destroy" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.buffer_destroy }
}

extension AccBufferCopyFromHostArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.buffer_copy_from_host }
    static var entryName: String { "buffer_copy_from_host" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.buffer_copy_from_host }
}

extension AccBufferCopyToHostArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.buffer_copy_to_host }
    static var entryName: String { "buffer_copy_to_host" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.buffer_copy_to_host }
}

extension AccExecutableCompileArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.executable_compile }
    static var entryName: String { "executable_compile" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.executable_compile }
}

extension AccExecutableDestroyArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.executable_destroy }
    static var entryName: String { "executable_destroy" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.executable_destroy }
}

extension AccExecutableExecuteArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.executable_execute }
    static var entryName: String { "executable_execute" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.executable_execute }
}

extension AccEventAwaitArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.event_await }
    static var entryName: String { "event_await" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.event_await }
}

extension AccEventDestroyArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.event_destroy }
    static var entryName: String { "event_destroy" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.event_destroy }
}

extension AccEventOnReadyArgs: PluginArguments {
    static var entry: PartialKeyPath<AccPluginApi> { \.event_on_ready }
    static var entryName: String { "event_on_ready" }
    static func function(in table: AccPluginApi) -> ((UnsafeMutablePointer<Self>?) -> OpaquePointer?)? { table.event_on_ready }
}

/// What a plugin reported through an `AccError`: its code and message, the error itself freed.
struct PluginFailure: Error, Hashable, Sendable {
    /// An `AccErrorCode`, or another value from a plugin that invents its own.
    var code: Int32
    /// The plugin's message.
    var message: String

    /// A failure with `code`.
    init(_ code: AccErrorCode, message: String) {
        self.code = Int32(bitPattern: code.rawValue)
        self.message = message
    }

    /// Whether the failure has `code`.
    func has(_ code: AccErrorCode) -> Bool { UInt32(bitPattern: self.code) == code.rawValue }

    /// The code's name, for messages: `ACC_ERROR_OUT_OF_MEMORY`.
    var codeName: String {
        let names: [(AccErrorCode, String)] = [
            (ACC_ERROR_INVALID_ARGUMENT, "ACC_ERROR_INVALID_ARGUMENT"), (ACC_ERROR_OUT_OF_MEMORY, "ACC_ERROR_OUT_OF_MEMORY"),
            (ACC_ERROR_INVALID_PROGRAM, "ACC_ERROR_INVALID_PROGRAM"), (ACC_ERROR_UNIMPLEMENTED, "ACC_ERROR_UNIMPLEMENTED"),
            (ACC_ERROR_DEVICE_LOST, "ACC_ERROR_DEVICE_LOST"), (ACC_ERROR_INTERNAL, "ACC_ERROR_INTERNAL"),
        ]
        return names.first { has($0.0) }?.1 ?? "error code \(code)"
    }

    /// The ``BackendError`` a failure of `operation` (e.g. `executing 'softmax'`) on `device`
    /// becomes. Allocation and compilation map out-of-memory and invalid-program failures
    /// themselves, since they know the sizes and the program.
    func backendError(on device: DeviceID, during operation: String) -> BackendError {
        if has(ACC_ERROR_INVALID_ARGUMENT) { return .bufferMismatch(device, reason: "\(operation): \(message)") }
        if has(ACC_ERROR_UNIMPLEMENTED) { return .notImplemented(device, "\(operation): \(message)") }
        if has(ACC_ERROR_DEVICE_LOST) { return .deviceLost(device, reason: "\(operation): \(message)") }
        return .executionFailed(device, kernel: operation, reason: "\(message) (\(codeName))")
    }
}

/// A loaded plugin: its `dlopen` handle and its function table, shared by the plugin's devices,
/// buffers, executables and runs.
///
/// The handle is never closed: acc_plugin.h promises that a plugin stays loaded for the life of
/// the process, as PJRT's plugins do, because once its code has run it may have started threads
/// that keep running it (the example's worker does), and unloading would pull the code from under
/// them. Only the loader closes a handle, for a plugin it refuses before calling any entry.
///
/// The table is copied into a zeroed ``AccPluginApi`` of this runtime's size, at most the
/// plugin's `struct_size` bytes of it, and an entry is called only if the plugin's `struct_size`
/// reaches past it (``has(_:)``): an older minor's shorter table is never read past its end.
final class PluginLibrary: @unchecked Sendable {
    // Safe because: every property is immutable after init, and acc_plugin.h requires every entry
    // to be callable from any thread at once.

    /// The shared object's path.
    let path: String
    /// The ABI version the plugin was built for.
    let major: UInt32, minor: UInt32
    /// The plugin's `struct_size`: which entries it has.
    let tableSize: Int
    /// The `dlopen` handle.
    let handle: UnsafeMutableRawPointer
    private let table: AccPluginApi

    /// Wraps an open `handle` whose table is at `api`, after the caller checked that the table
    /// is at least large enough to hold its version fields.
    init(path: String, handle: UnsafeMutableRawPointer, api: UnsafeRawPointer) {
        self.path = path
        self.handle = handle
        let size = api.load(as: Int.self)
        tableSize = size
        var table = AccPluginApi()
        withUnsafeMutableBytes(of: &table) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: api, count: min(size, target.count)))
        }
        self.table = table
        major = table.abi_major
        minor = table.abi_minor
    }

    /// `1.1`.
    var version: String { "\(major).\(minor)" }

    /// Whether the plugin's table reaches past `field` and holds a function there.
    func has(_ field: PartialKeyPath<AccPluginApi>) -> Bool {
        guard let offset = MemoryLayout<AccPluginApi>.offset(of: field),
              offset + MemoryLayout<UnsafeRawPointer>.size <= tableSize else { return false }
        return withUnsafeBytes(of: table) { $0.load(fromByteOffset: offset, as: UInt.self) != 0 }
    }

    /// Calls the entry `Arguments` belongs to with a struct that `configure` fills after its
    /// `struct_size` is set, and returns the struct with the plugin's out fields.
    /// - Throws: the plugin's ``PluginFailure``, or an `ACC_ERROR_UNIMPLEMENTED` one when the
    ///   plugin's table lacks the entry.
    func call<Arguments: PluginArguments>(_ configure: (inout Arguments) -> Void = { _ in }) throws(PluginFailure) -> Arguments {
        guard has(Arguments.entry), let function = Arguments.function(in: table) else {
            throw PluginFailure(ACC_ERROR_UNIMPLEMENTED, message: "the plugin (ABI \(version)) has no \(Arguments.entryName)")
        }
        var arguments = Arguments()
        arguments.struct_size = MemoryLayout<Arguments>.size
        configure(&arguments)
        if let failure = take(function(&arguments)) { throw failure }
        return arguments
    }

    /// The code and message of `error`, which is freed; `nil` for no error.
    func take(_ error: OpaquePointer?) -> PluginFailure? {
        guard let error else { return nil }
        var failure = PluginFailure(ACC_ERROR_INTERNAL, message: "the plugin reported an error it cannot describe")
        if has(\AccPluginApi.error_describe), let describe = table.error_describe {
            var arguments = AccErrorDescribeArgs()
            arguments.struct_size = MemoryLayout<AccErrorDescribeArgs>.size
            arguments.error = error
            describe(&arguments)
            failure.code = arguments.code
            if let message = arguments.message {
                failure.message = String(decoding: UnsafeRawBufferPointer(start: message, count: arguments.message_size), as: UTF8.self)
            }
        }
        if has(\AccPluginApi.error_destroy) { table.error_destroy?(error) }
        return failure
    }
}
