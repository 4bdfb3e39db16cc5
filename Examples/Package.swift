// swift-tools-version:6.0
// Training code that links acc the way a user's project does: a separate package depending on it by path.
import Foundation
import PackageDescription

// A path dependency is identified by its directory's name, which is whatever the checkout is called.
let acc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "acc-examples",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "TinyTrainer", dependencies: [.product(name: "Runtime", package: acc)]),
    ],
    swiftLanguageModes: [.v6]
)
