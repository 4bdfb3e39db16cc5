import CAccPlugin
import Foundation
import KernelIR
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds, checks and opens the plugins a search path names, the way ``PluginBackend`` reads
/// `ACC_PLUGIN_PATH`: a colon-separated list of `.so` files and of directories whose `.so` files
/// are loaded in name order.
///
/// A plugin that cannot be used is skipped with a warning that says why, never fatally: a file
/// that is not a shared object, one that does not export `acc_plugin_get_api`, a table of another
/// ABI major or missing a 1.0 entry, a failing `plugin_initialize`, or a platform name another
/// plugin already took.
struct PluginLoader {
    /// The search path as written.
    let searchPath: String

    /// The entries every plugin's table must have: those of ABI 1.0.
    static var requiredEntries: [(name: String, field: PartialKeyPath<AccPluginApi>)] { [
        ("error_destroy", \AccPluginApi.error_destroy), ("error_describe", \AccPluginApi.error_describe),
        ("plugin_initialize", \AccPluginApi.plugin_initialize), ("device_list", \AccPluginApi.device_list),
        ("device_describe", \AccPluginApi.device_describe), ("buffer_allocate", \AccPluginApi.buffer_allocate),
        ("buffer_destroy", \AccPluginApi.buffer_destroy), ("buffer_copy_from_host", \AccPluginApi.buffer_copy_from_host),
        ("buffer_copy_to_host", \AccPluginApi.buffer_copy_to_host), ("executable_compile", \AccPluginApi.executable_compile),
        ("executable_destroy", \AccPluginApi.executable_destroy), ("executable_execute", \AccPluginApi.executable_execute),
        ("event_await", \AccPluginApi.event_await), ("event_destroy", \AccPluginApi.event_destroy),
    ] }

    /// The runtime's ABI, `1.1`.
    static var runtimeVersion: String { "\(ACC_PLUGIN_ABI_MAJOR).\(ACC_PLUGIN_ABI_MINOR)" }

    /// The devices of every plugin that loaded, in search-path order, and a warning for each
    /// entry, plugin or device that could not be used.
    func load() -> (devices: [PluginDevice], warnings: [String]) {
        let (files, fileWarnings) = files()
        var warnings = fileWarnings
        var devices: [PluginDevice] = []
        var providers: [String: String] = [:]
        for file in files {
            switch open(file) {
            case let .failure(reason):
                warnings.append("plugin \(file) skipped: \(reason.text)")
            case let .success(plugin):
                if let other = providers[plugin.name] {
                    warnings.append("plugin \(file) skipped: \(other) already provides the plugin:\(plugin.name) devices")
                    continue
                }
                providers[plugin.name] = file
                devices += plugin.devices
                warnings += plugin.warnings
            }
        }
        return (devices, warnings)
    }

    /// The files to load: each file entry, and each directory entry's `.so` files sorted by name,
    /// every file once; a warning for each entry that is neither.
    func files() -> (files: [String], warnings: [String]) {
        var files: [String] = []
        var warnings: [String] = []
        var seen: Set<String> = []
        func add(_ path: String) {
            if seen.insert(URL(fileURLWithPath: path).resolvingSymlinksInPath().path).inserted { files.append(path) }
        }
        for entry in searchPath.split(separator: ":").map(String.init) where !entry.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: entry, isDirectory: &isDirectory) else {
                warnings.append("ACC_PLUGIN_PATH names \(entry), which does not exist")
                continue
            }
            guard isDirectory.boolValue else {
                add(entry)
                continue
            }
            do {
                let names = try FileManager.default.contentsOfDirectory(atPath: entry).filter { $0.hasSuffix(".so") }.sorted()
                for name in names { add(URL(fileURLWithPath: entry).appendingPathComponent(name).path) }
            } catch {
                warnings.append("ACC_PLUGIN_PATH names the directory \(entry), which cannot be read: \(error.localizedDescription)")
            }
        }
        return (files, warnings)
    }

    /// Why a plugin was skipped.
    struct Skip: Error {
        var text: String
    }

    /// A plugin that loaded: its platform name, its devices, and warnings about devices it could not describe.
    struct Opened {
        var name: String
        var devices: [PluginDevice]
        var warnings: [String]
    }

    /// Opens the plugin at `path`, checks its ABI, initializes it and opens its devices.
    func open(_ path: String) -> Result<Opened, Skip> {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(Skip(text: "it cannot be loaded: \(Self.lastError(or: "dlopen failed"))"))
        }
        guard let symbol = dlsym(handle, ACC_PLUGIN_GET_API_SYMBOL) else {
            dlclose(handle)
            return .failure(Skip(text: "it does not export \(ACC_PLUGIN_GET_API_SYMBOL), the entry point acc_plugin.h declares"))
        }
        typealias GetAPI = @convention(c) () -> UnsafeRawPointer?
        guard let api = unsafeBitCast(symbol, to: GetAPI.self)() else {
            dlclose(handle)
            return .failure(Skip(text: "\(ACC_PLUGIN_GET_API_SYMBOL) returned no function table"))
        }
        let versionEnd = (MemoryLayout<AccPluginApi>.offset(of: \AccPluginApi.abi_minor) ?? 12) + MemoryLayout<UInt32>.size
        let tableSize = api.load(as: Int.self)
        guard tableSize >= versionEnd else {
            dlclose(handle)
            return .failure(Skip(text: "its function table's struct_size (\(tableSize) bytes) is too small to hold the ABI version"))
        }
        let library = PluginLibrary(path: path, handle: handle, api: api)
        guard library.major == UInt32(ACC_PLUGIN_ABI_MAJOR) else {
            dlclose(handle)
            return .failure(Skip(text: "it was built for plugin ABI \(library.version), and this runtime speaks ABI \(Self.runtimeVersion) (a different major version is incompatible); rebuild it against this runtime's acc_plugin.h"))
        }
        let missing = Self.requiredEntries.filter { !library.has($0.field) }.map(\.name)
        guard missing.isEmpty else {
            dlclose(handle)
            return .failure(Skip(text: "its function table (ABI \(library.version), \(tableSize) bytes) lacks \(missing.joined(separator: ", ")), which every ABI \(ACC_PLUGIN_ABI_MAJOR).x plugin must provide"))
        }
        // From here on the plugin's code runs and may start threads: it stays loaded even if refused.
        let initialized: AccPluginInitializeArgs
        do throws(PluginFailure) {
            initialized = try library.call()
        } catch {
            return .failure(Skip(text: "its initialization failed: \(error.message) (\(error.codeName))"))
        }
        let name = initialized.platform_name.map { String(cString: $0) } ?? ""
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
            return .failure(Skip(text: "its platform name '\(name)' is not [a-z0-9_]+, so it cannot name devices plugin:NAME:N"))
        }
        let platformVersion = initialized.platform_version.map { String(cString: $0) } ?? ""
        let list: AccDeviceListArgs
        do throws(PluginFailure) {
            list = try library.call()
        } catch {
            return .failure(Skip(text: "listing its devices failed: \(error.message) (\(error.codeName))"))
        }
        var devices: [PluginDevice] = []
        var warnings: [String] = []
        for index in 0..<list.device_count {
            let id = DeviceID("plugin:\(name):\(index)")
            guard let handle = list.devices?[index] else {
                warnings.append("\(id) skipped: plugin \(path) listed a null device")
                continue
            }
            do throws(PluginFailure) {
                let described = try library.call { (arguments: inout AccDeviceDescribeArgs) in arguments.device = handle }
                let info = Self.info(id: id, described, path: path, abi: library.version, platformVersion: platformVersion)
                devices.append(PluginDevice(id: id, handle: handle, library: library, info: info))
            } catch {
                warnings.append("\(id) skipped: plugin \(path) could not describe it: \(error.message) (\(error.codeName))")
            }
        }
        return .success(Opened(name: name, devices: devices, warnings: warnings))
    }

    /// The ``DeviceInfo`` of a described device; a peak of 0 means unknown.
    static func info(id: DeviceID, _ described: AccDeviceDescribeArgs, path: String, abi: String, platformVersion: String) -> DeviceInfo {
        let codes: [(DType, AccDType)] = [(.f32, ACC_DTYPE_F32), (.f16, ACC_DTYPE_F16), (.bf16, ACC_DTYPE_BF16), (.i32, ACC_DTYPE_I32), (.bool, ACC_DTYPE_BOOL)]
        let dtypes = codes.filter { described.dtypes & (1 << $0.1.rawValue) != 0 }.map(\.0)
        var details = ["plugin": path, "plugin abi": abi]
        if !platformVersion.isEmpty { details["platform"] = platformVersion }
        if let vendor = described.vendor { details["vendor"] = String(cString: vendor) }
        return DeviceInfo(id: id.rawValue, backend: "plugin", name: described.name.map { String(cString: $0) } ?? id.rawValue,
                          computeUnits: Int(described.compute_units), memoryBytes: Int(described.memory_bytes),
                          peakGFLOPS: described.peak_gflops > 0 ? described.peak_gflops : nil,
                          peakBandwidthGBps: described.peak_bandwidth_gbps > 0 ? described.peak_bandwidth_gbps : nil,
                          dtypes: dtypes, details: details)
    }

    private static func lastError(or fallback: String) -> String {
        dlerror().map { String(cString: $0) } ?? fallback
    }
}
