#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shared object of compiled kernels, open (`dlopen`) for as long as this object lives.
/// A class because it owns the handle, closed in `deinit` once no kernel uses it.
final class CompiledLibrary: @unchecked Sendable {
    // Safe because: `handle` and `entries` are immutable after init, `dlclose` runs only in deinit
    // when no other reference exists, and each entry point only reads and writes the buffers it is
    // given, so concurrent calls on disjoint output ranges do not interact.

    /// A kernel function: `void f(void *const *buffers, long begin, long end)`.
    typealias Entry = @convention(c) (UnsafeRawPointer, Int, Int) -> Void

    /// Why a library could not be opened.
    struct LoadFailure: Error, Hashable, Sendable {
        var reason: String
    }

    private let handle: UnsafeMutableRawPointer
    private let entries: [Entry]
    /// Where the shared object lives.
    let path: String

    private init(handle: UnsafeMutableRawPointer, entries: [Entry], path: String) {
        self.handle = handle
        self.entries = entries
        self.path = path
    }

    deinit { dlclose(handle) }

    /// Opens the shared object at `path` and resolves `symbols`, which entries are then numbered by.
    static func open(path: String, symbols: [String]) -> Result<CompiledLibrary, LoadFailure> {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(LoadFailure(reason: lastError(or: "dlopen failed")))
        }
        var entries: [Entry] = []
        for symbol in symbols {
            guard let address = dlsym(handle, symbol) else {
                let reason = lastError(or: "symbol \(symbol) not found")
                dlclose(handle)
                return .failure(LoadFailure(reason: reason))
            }
            entries.append(unsafeBitCast(address, to: Entry.self))
        }
        return .success(CompiledLibrary(handle: handle, entries: entries, path: path))
    }

    private static func lastError(or fallback: String) -> String {
        dlerror().map { String(cString: $0) } ?? fallback
    }

    /// Runs entry `entry` over output elements `range`.
    func run(_ entry: Int, _ buffers: UnsafePointer<UnsafeMutableRawPointer>, range: Range<Int>) {
        guard !range.isEmpty else { return }
        entries[entry](UnsafeRawPointer(buffers), range.lowerBound, range.upperBound)
    }
}

/// A loop or reduction kernel compiled to native code: one entry point of a ``CompiledLibrary``.
struct CompiledLoopKernel: LoopKernel {
    let name: String
    /// Kept alive as long as the kernel is.
    let library: CompiledLibrary
    let entry: Int

    func run(_ buffers: UnsafePointer<UnsafeMutableRawPointer>, range: Range<Int>) {
        library.run(entry, buffers, range: range)
    }
}
