import Foundation

/// The on-disk cache of compiled kernel libraries, keyed by a hash of the source, which begins with
/// the compiler's path, version and flags.
///
/// An entry is three files: `KEY.c` (the source, kept so a failed build can be inspected),
/// `KEY.so`, and `KEY.manifest`, written last, holding the shared object's size and hash. An entry
/// is trusted only when its source equals the one asked for and the shared object matches its
/// manifest, so a truncated, partly written or foreign file is rebuilt rather than loaded. Every
/// file is written under a temporary name and renamed into place, so a reader never sees half of one.
struct KernelCache: Sendable {
    /// The cache directory.
    let directory: URL

    /// `ACC_CACHE_DIR`, else `~/.cache/acc/cpu`, else a folder in `TMPDIR` (or `/tmp`).
    static func directory(environment: [String: String]) -> URL {
        if let explicit = environment["ACC_CACHE_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit, isDirectory: true)
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/acc/cpu", isDirectory: true)
        }
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return URL(fileURLWithPath: temporary, isDirectory: true).appendingPathComponent("acc-cache/cpu", isDirectory: true)
    }

    /// The files of one entry.
    struct Entry: Sendable {
        let source: URL
        let library: URL
        let manifest: URL
    }

    /// The entry for `source`.
    func entry(for source: String) -> Entry {
        let key = String(Self.fnv1a(Array(source.utf8)), radix: 16)
        let base = directory.appendingPathComponent("kernels-" + key)
        return Entry(source: base.appendingPathExtension("c"), library: base.appendingPathExtension("so"),
                     manifest: base.appendingPathExtension("manifest"))
    }

    /// Creates the directory if needed.
    /// - Returns: why it could not be created, or `nil`.
    func prepare() -> String? {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return nil
        } catch {
            return "cannot create the kernel cache directory \(directory.path) (\(error.localizedDescription)); set ACC_CACHE_DIR to a writable directory"
        }
    }

    /// Whether `entry` holds a complete build of `source` whose shared object matches its manifest.
    func isValid(_ entry: Entry, for source: String) -> Bool {
        guard let manifest = try? String(contentsOf: entry.manifest, encoding: .utf8),
              let storedSource = try? Data(contentsOf: entry.source), storedSource == Data(source.utf8),
              let library = try? Data(contentsOf: entry.library) else { return false }
        return manifest == Self.manifest(of: library)
    }

    /// Writes `source` to the entry's source file.
    func writeSource(_ source: String, to entry: Entry) throws {
        try Data(source.utf8).write(to: entry.source, options: .atomic)
    }

    /// A fresh path beside the entry's shared object for the compiler to write.
    func temporaryLibrary(for entry: Entry) -> URL {
        entry.library.deletingLastPathComponent()
            .appendingPathComponent(".\(entry.library.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt64.random(in: 0...UInt64.max)).tmp")
    }

    /// Moves a freshly built shared object into the entry and then writes its manifest.
    func commit(_ built: URL, to entry: Entry) throws {
        let library = try Data(contentsOf: built)
        guard rename(built.path, entry.library.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: entry.library.path])
        }
        try Data(Self.manifest(of: library).utf8).write(to: entry.manifest, options: .atomic)
    }

    /// Removes the entry's manifest, so the entry counts as absent until rebuilt.
    func invalidate(_ entry: Entry) {
        try? FileManager.default.removeItem(at: entry.manifest)
    }

    private static func manifest(of library: Data) -> String {
        "acc kernel library\nbytes \(library.count)\nfnv1a64 \(String(fnv1a(Array(library)), radix: 16))\n"
    }

    /// The 64-bit FNV-1a hash: a file name and integrity check, not a defence against forgery.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
