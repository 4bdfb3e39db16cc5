import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SafetensorsFile {
    /// Reads the safetensors file at `url` (a file URL), as ``init(bytes:)`` reads its bytes.
    /// - Throws: ``SafetensorsError/readFailed(path:reason:)`` if the file cannot be opened or read, or any
    ///   error ``init(bytes:)`` throws for its contents.
    public init(contentsOf url: URL) throws(SafetensorsError) {
        guard url.isFileURL else { throw .readFailed(path: url.absoluteString, reason: "only file URLs can be read") }
        try self.init(bytes: try POSIXFile.contents(atPath: url.path))
    }

    /// Writes the file to `url` (a file URL) atomically: a crash or error mid-write never leaves a partial
    /// file, and never destroys the file that was there before.
    ///
    /// The bytes of ``serialized()`` go to a temporary file in the same directory, which is flushed to disk
    /// (`fsync`) and then renamed over `url`, replacing any previous file in one step. The new file gets the
    /// default permissions (0666 less the umask), not those of the file it replaces.
    /// - Throws: ``SafetensorsError/writeFailed(path:reason:)`` naming the step that failed (creating,
    ///   writing, flushing or renaming the temporary file, which is then removed), or what ``serialized()`` throws.
    public func write(to url: URL) throws(SafetensorsError) {
        try write(to: url, beforeReplacing: {})
    }

    /// ``write(to:)`` with `beforeReplacing` called once the temporary file is complete and flushed, just
    /// before it is renamed over `url`: the moment a crash must not harm the previous file, which tests
    /// of crash safety (checkpoints) reach through this hook.
    package func write(to url: URL, beforeReplacing: () -> Void) throws(SafetensorsError) {
        guard url.isFileURL else { throw .writeFailed(path: url.absoluteString, reason: "only file URLs can be written") }
        let bytes = try serialized()
        let directory = url.deletingLastPathComponent()
        // A random suffix and O_EXCL keep concurrent writers of the same path from sharing a temporary file.
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(suffix).tmp")
        try POSIXFile.replace(atPath: url.path, with: bytes, viaTemporaryPath: temporary.path, directoryPath: directory.path,
                              beforeRename: beforeReplacing)
    }
}

/// Whole-file reads and atomic replacement over POSIX calls, which report why they failed (`errno`).
private enum POSIXFile {
    /// The system's message for `code`, such as "No such file or directory".
    static func message(for code: Int32) -> String { String(cString: strerror(code)) }

    static func contents(atPath path: String) throws(SafetensorsError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .readFailed(path: path, reason: message(for: errno)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .readFailed(path: path, reason: message(for: errno)) }
        // One byte more than the size, so end of file is seen without growing the buffer.
        var bytes = [UInt8](repeating: 0, count: Swift.max(Int(status.st_size), 0) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let result = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return read(descriptor, base + count, raw.count - count)
            }
            if result == 0 { break }
            if result < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, reason: message(for: errno))
            }
            count += result
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    static func replace(atPath path: String, with bytes: [UInt8], viaTemporaryPath temporary: String,
                        directoryPath directory: String, beforeRename: () -> Void) throws(SafetensorsError) {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw .writeFailed(path: path, reason: "creating a temporary file beside it failed (\(message(for: errno))); "
                + "check that the directory exists and is writable")
        }
        var problem = writeAll(bytes, to: descriptor)
        if problem == nil, fsync(descriptor) != 0 { problem = "flushing it to disk failed (\(message(for: errno)))" }
        if close(descriptor) != 0, problem == nil { problem = "closing it failed (\(message(for: errno)))" }
        if problem == nil { beforeRename() }
        if problem == nil, rename(temporary, path) != 0 {
            problem = "renaming the finished temporary file over it failed (\(message(for: errno)))"
        }
        if let problem {
            unlink(temporary)
            throw .writeFailed(path: path, reason: problem)
        }
        // The rename is durable only once the directory is flushed too; some file systems refuse, which is harmless.
        let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Writes all of `bytes`, retrying short and interrupted writes; returns what went wrong, or `nil`.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            var written = 0
            while written < raw.count, let base = raw.baseAddress {
                let result = write(descriptor, base + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return "writing the temporary file failed (\(message(for: errno)))"
                }
                written += result
            }
            return nil
        }
    }
}
