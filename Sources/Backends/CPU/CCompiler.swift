import Foundation
import Synchronization

/// The system C compiler the CPU backend builds its kernels with: found on `PATH` (or named by
/// `ACC_CC`), identified by its `--version` banner, which is part of every cache key, and run once
/// per schedule to build a shared object.
struct CCompiler: Hashable, Sendable {
    /// The compiler's path.
    let path: String
    /// The first line of `--version`, e.g. `cc (Debian 12.2.0-14+deb12u1) 12.2.0`.
    let version: String
    /// Every argument but the source and output paths.
    let flags: [String]

    /// Flags for every build. `-ffp-contract=off` keeps `a * b + c` two rounded operations, as the
    /// interpreter computes it; `-fno-math-errno` lets `sqrt` vectorize, and `-fopenmp-simd` honours
    /// `#pragma omp simd`. Never `-ffast-math`, nor `-fno-trapping-math` (with it GCC folds
    /// `(float)(int)x` to `trunc(x)`, which keeps the sign of zero): NaN handling, signed zeros and the
    /// f16 rounding need IEEE semantics.
    static let baseFlags = ["-std=gnu11", "-O3", "-march=native", "-fPIC", "-shared", "-ffp-contract=off",
                            "-fno-math-errno", "-fopenmp-simd"]

    /// Why no compiler could be used, as a one-line warning.
    struct Unavailable: Error, Hashable, Sendable {
        var reason: String
    }

    /// The compiler `environment` names: `ACC_CC` (a name on `PATH` or a path), else the first of
    /// `cc`, `gcc`, `clang` on `PATH`; `ACC_CFLAGS` adds flags (split on spaces) after ``baseFlags``.
    static func find(environment: [String: String]) -> Result<CCompiler, Unavailable> {
        let searchPath = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        let candidates: [String]
        if let requested = environment["ACC_CC"], !requested.isEmpty {
            candidates = [requested]
        } else {
            candidates = ["cc", "gcc", "clang"]
        }
        for name in candidates {
            guard let path = resolve(name, searchPath: searchPath) else { continue }
            guard let version = version(of: path) else {
                return .failure(Unavailable(reason: "the C compiler \(path) does not run ('\(path) --version' failed)"))
            }
            var flags = baseFlags
            if !version.contains("clang") {
                // GCC sinks a value used by one arm of a select into that arm, and then cannot turn the
                // select back into a vector blend without assuming float operations never trap.
                flags.append("-fno-tree-sink")
            }
            flags += (environment["ACC_CFLAGS"] ?? "").split(separator: " ").map(String.init)
            return .success(CCompiler(path: path, version: version, flags: flags))
        }
        if let requested = environment["ACC_CC"], !requested.isEmpty {
            return .failure(Unavailable(reason: "ACC_CC names '\(requested)', which is not an executable file or a program on PATH"))
        }
        return .failure(Unavailable(reason: "no C compiler (cc, gcc or clang) on PATH"))
    }

    private static func resolve(_ name: String, searchPath: [String]) -> String? {
        let files = FileManager.default
        if name.contains("/") { return files.isExecutableFile(atPath: name) ? name : nil }
        for directory in searchPath where !directory.isEmpty {
            let path = directory + "/" + name
            if files.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// `--version` banners already read, by compiler path: one process launch per compiler per process.
    private static let versions = Mutex<[String: String]>([:])

    private static func version(of path: String) -> String? {
        if let known = versions.withLock({ $0[path] }) { return known }
        guard let run = run(path, ["--version"]), run.status == 0,
              let first = run.output.split(separator: "\n").first else { return nil }
        let version = String(first)
        versions.withLock { $0[path] = version }
        return version
    }

    /// Compiles the C file at `source` into the shared object `output`.
    /// - Returns: `nil` on success, else the compiler's output (or why it could not be started).
    func compile(source: String, output: String) -> String? {
        guard let run = Self.run(path, flags + ["-o", output, source, "-lm"]) else {
            return "could not start \(path)"
        }
        return run.status == 0 ? nil : run.output
    }

    /// Runs `executable` with `arguments`, stdin empty; returns its exit status and its stdout and
    /// stderr interleaved, or `nil` if it could not be started.
    private static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        // Read before waiting: a compiler writing more than a pipe buffer would otherwise block.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
