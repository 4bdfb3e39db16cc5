import Foundation
import KernelIR
import Synchronization

/// Compiles a schedule's loop and reduction kernels to native code: one C translation unit per
/// call (so one compiler run per schedule), built by the system C compiler into a shared object in
/// an on-disk cache and loaded with `dlopen`.
///
/// Without a usable C compiler nothing fails: ``warning`` says why (and is printed to stderr once
/// per process), and every kernel runs in the reference interpreter (``InterpretedLoopKernel``).
///
/// The environment it reads: `ACC_CC` (the compiler), `ACC_CFLAGS` (extra flags), `ACC_CACHE_DIR`
/// (the cache, default `~/.cache/acc/cpu`), and `PATH`, `HOME`, `TMPDIR`.
public struct CPUKernelCompiler: Sendable {
    /// The device named in errors.
    public let device: DeviceID
    /// Why kernels will run in the interpreter rather than as native code, or `nil` when a C compiler was found.
    public let warning: String?
    let compiler: CCompiler?
    let cache: KernelCache
    let renderer: CFamilyRenderer

    /// Finds the C compiler and the cache directory `environment` names; unless `quiet`, says once
    /// on stderr when there is no compiler.
    public init(device: DeviceID, environment: [String: String] = ProcessInfo.processInfo.environment, quiet: Bool = false) {
        self.device = device
        cache = KernelCache(directory: KernelCache.directory(environment: environment))
        renderer = CFamilyRenderer(dialect: .c, device: device)
        switch CCompiler.find(environment: environment) {
        case let .success(found):
            compiler = found
            warning = nil
        case let .failure(unavailable):
            compiler = nil
            let message = "acc: \(unavailable.reason); \(device) runs fused kernels in the reference interpreter, which is slow. Install gcc or clang, or set ACC_CC"
            warning = message
            if !quiet { Self.printOnce(message) }
        }
    }

    private static let hasPrintedWarning = Mutex(false)

    private static func printOnce(_ message: String) {
        let isFirst = hasPrintedWarning.withLock { printed in
            defer { printed = true }
            return !printed
        }
        if isFirst { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }

    /// The kernels of `schedule` that run as loops, in schedule order: every loop and reduction
    /// kernel, and the epilogue of every contraction that has one.
    public static func loopKernels(of schedule: Schedule) -> [Kernel] {
        schedule.kernels.compactMap { kernel in
            switch kernel.kind {
            case .loop, .reduction: kernel
            case .contraction: kernel.contractionParts?.epilogue
            }
        }
    }

    /// The C source compiled for `kernels` (what `acctl compile --emit code` shows).
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for a kernel the renderer cannot lower.
    public func source(for kernels: [Kernel]) throws(BackendError) -> String {
        try renderer.translationUnit(for: kernels).source
    }

    /// The C source compiled for the loop kernels of `schedule`.
    /// - Throws: ``BackendError/notImplemented(_:_:)`` for a kernel the renderer cannot lower.
    public func source(for schedule: Schedule) throws(BackendError) -> String {
        try source(for: Self.loopKernels(of: schedule))
    }

    /// One runnable kernel per kernel given (loop, reduction, or contraction epilogue), in order.
    /// - Throws: ``BackendError/compilationFailed(_:kernel:log:source:)`` when the compiler rejects
    ///   the generated code or its cache cannot be written, ``BackendError/notImplemented(_:_:)``
    ///   for a kernel the renderer cannot lower.
    func compile(_ kernels: [Kernel]) throws(BackendError) -> [any LoopKernel] {
        try build(kernels).kernels
    }

    /// The result of ``build(_:)``.
    struct Build {
        /// One per kernel given.
        var kernels: [any LoopKernel]
        /// Whether the shared object came from the cache, so no compiler ran.
        var isCacheHit: Bool
        /// The cache entry used, or `nil` when the kernels run in the interpreter.
        var entry: KernelCache.Entry?
    }

    /// Like ``compile(_:)``, also saying whether the cache was hit.
    func build(_ kernels: [Kernel]) throws(BackendError) -> Build {
        guard let compiler else {
            return Build(kernels: kernels.map { InterpretedLoopKernel(kernel: $0) }, isCacheHit: false, entry: nil)
        }
        guard !kernels.isEmpty else { return Build(kernels: [], isCacheHit: true, entry: nil) }
        let unit = try renderer.translationUnit(for: kernels)
        let symbols = Array(Set(unit.functionNames)).sorted()
        let (library, entry, isCacheHit) = try open(unit.source, symbols: symbols, label: Self.label(kernels), compiler: compiler)
        let entryOfSymbol = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })
        let compiled: [any LoopKernel] = zip(kernels, unit.functionNames).map { kernel, name in
            CompiledLoopKernel(name: kernel.body.name, library: library, entry: entryOfSymbol[name] ?? 0)
        }
        return Build(kernels: compiled, isCacheHit: isCacheHit, entry: entry)
    }

    /// C source other than kernels (``TiledGEMM``) compiled like them, through the cache, with its
    /// entry points `symbols` in that order; `nil` when there is no C compiler.
    /// - Throws: ``BackendError/compilationFailed(_:kernel:log:source:)`` naming `label`.
    func library(source: String, symbols: [String], label: String) throws(BackendError) -> CompiledLibrary? {
        guard let compiler else { return nil }
        return try open(source, symbols: symbols, label: label, compiler: compiler).library
    }

    /// `source` as a loaded library: from the cache when it holds it, else compiled into it.
    private func open(_ source: String, symbols: [String], label: String, compiler: CCompiler) throws(BackendError)
        -> (library: CompiledLibrary, entry: KernelCache.Entry, isCacheHit: Bool) {
        let source = "/* acc CPU kernels. compiler: \(compiler.path) (\(compiler.version)); flags: "
            + compiler.flags.joined(separator: " ") + " */\n" + source
        let entry = cache.entry(for: source)
        if cache.isValid(entry, for: source), case let .success(opened) = CompiledLibrary.open(path: entry.library.path, symbols: symbols) {
            return (opened, entry, true)
        }
        return (try buildLibrary(source, entry: entry, symbols: symbols, compiler: compiler, label: label), entry, false)
    }

    private func buildLibrary(_ source: String, entry: KernelCache.Entry, symbols: [String], compiler: CCompiler,
                              label: String) throws(BackendError) -> CompiledLibrary {
        func failure(_ log: String) -> BackendError {
            .compilationFailed(device, kernel: label, log: log, source: entry.source.path)
        }
        if let problem = cache.prepare() { throw failure(problem) }
        cache.invalidate(entry)
        do {
            try cache.writeSource(source, to: entry)
        } catch {
            throw failure("cannot write \(entry.source.path): \(error.localizedDescription)")
        }
        let built = cache.temporaryLibrary(for: entry)
        if let log = compiler.compile(source: entry.source.path, output: built.path) {
            try? FileManager.default.removeItem(at: built)
            throw failure(log)
        }
        do {
            try cache.commit(built, to: entry)
        } catch {
            try? FileManager.default.removeItem(at: built)
            throw failure("cannot store \(entry.library.path): \(error.localizedDescription)")
        }
        switch CompiledLibrary.open(path: entry.library.path, symbols: symbols) {
        case let .success(library): return library
        case let .failure(load): throw failure("the compiled library does not load: \(load.reason)")
        }
    }

    /// Names the kernels of a translation unit in an error: the first few, then how many more.
    private static func label(_ kernels: [Kernel]) -> String {
        let names = kernels.prefix(3).map(\.body.name).joined(separator: ", ")
        return kernels.count > 3 ? "\(names) and \(kernels.count - 3) more" : names
    }
}
