import Foundation

/// The on-disk cache of OpenCL program binaries (`clGetProgramInfo(CL_PROGRAM_BINARIES)`), keyed
/// by a hash of the device, driver, build options and source, and the folder that holds the
/// tuning results.
///
/// An entry is three files: `program-KEY.cl` (the source, written before every build so a failed
/// build can be inspected), `program-KEY.bin` and `program-KEY.manifest`, written last, holding
/// the compiler identity and the binary's size and hash. A binary is used only when its source
/// equals the one asked for and it matches its manifest; one the driver then refuses (a driver
/// update the version string did not show) is rebuilt from source and replaced. Files are written
/// under temporary names and renamed into place, so a reader never sees half of one.
///
/// The directory: `ACC_OPENCL_CACHE_DIR`, else `$ACC_CACHE_DIR/opencl`, else `~/.cache/acc/opencl`.
struct ProgramCache: Sendable {
    /// The cache directory.
    let directory: URL

    static func directory(environment: [String: String]) -> URL {
        if let explicit = environment["ACC_OPENCL_CACHE_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        if let shared = environment["ACC_CACHE_DIR"], !shared.isEmpty {
            return URL(fileURLWithPath: shared, isDirectory: true).appendingPathComponent("opencl", isDirectory: true)
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/acc/opencl", isDirectory: true)
        }
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return URL(fileURLWithPath: temporary, isDirectory: true).appendingPathComponent("acc-cache/opencl", isDirectory: true)
    }

    /// The files of one entry.
    struct Entry: Sendable {
        let source: URL
        let binary: URL
        let manifest: URL
    }

    /// The entry for `source` built with `options` by the compiler `identity` names.
    func entry(source: String, options: String, identity: String) -> Entry {
        let key = String(KernelCache.fnv1a(Array((identity + "options " + options + "\n" + source).utf8)), radix: 16)
        let base = directory.appendingPathComponent("program-" + key)
        return Entry(source: base.appendingPathExtension("cl"), binary: base.appendingPathExtension("bin"),
                     manifest: base.appendingPathExtension("manifest"))
    }

    /// Creates the directory if needed.
    /// - Returns: why it could not be created, or `nil`.
    func prepare() -> String? {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return nil
        } catch {
            return "cannot create the OpenCL cache directory \(directory.path) (\(error.localizedDescription)); set ACC_OPENCL_CACHE_DIR to a writable directory"
        }
    }

    /// The entry's binary, if it is a complete build of `source` by `identity` that matches its manifest.
    func binary(of entry: Entry, source: String, identity: String) -> [UInt8]? {
        guard let manifest = try? String(contentsOf: entry.manifest, encoding: .utf8),
              let storedSource = try? Data(contentsOf: entry.source), storedSource == Data(source.utf8),
              let binary = try? Data(contentsOf: entry.binary), !binary.isEmpty else { return nil }
        let bytes = [UInt8](binary)
        return manifest == Self.manifest(of: bytes, identity: identity) ? bytes : nil
    }

    /// Writes `source` to the entry, so a build failure can name the file.
    func writeSource(_ source: String, to entry: Entry) throws {
        try Data(source.utf8).write(to: entry.source, options: .atomic)
    }

    /// Stores a freshly built binary, then its manifest.
    func store(_ binary: [UInt8], in entry: Entry, identity: String) throws {
        try? FileManager.default.removeItem(at: entry.manifest)
        try Data(binary).write(to: entry.binary, options: .atomic)
        try Data(Self.manifest(of: binary, identity: identity).utf8).write(to: entry.manifest, options: .atomic)
    }

    /// Removes the entry's manifest, so the entry counts as absent until rebuilt.
    func invalidate(_ entry: Entry) {
        try? FileManager.default.removeItem(at: entry.manifest)
    }

    private static func manifest(of binary: [UInt8], identity: String) -> String {
        "acc OpenCL program binary\n" + identity + "bytes \(binary.count)\nfnv1a64 \(String(KernelCache.fnv1a(binary), radix: 16))\n"
    }
}
