import Foundation
import KernelIR

/// The `.kir` files of `Kernels/` at the package root (this file is `Tests/BackendsTests/...`).
enum KernelFiles {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Kernels", isDirectory: true)

    /// The file names, sorted.
    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".kir") }.sorted()
    }

    /// The parsed module of `name`.
    static func module(_ name: String) throws -> Module {
        try Module(parsing: String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
    }
}
