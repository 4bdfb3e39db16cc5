// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "acc",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KernelIR", targets: ["KernelIR"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .executable(name: "acctl", targets: ["acctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL"),
        .systemLibrary(name: "CNUMA", path: "Sources/CNUMA"),
        .systemLibrary(name: "CAccPlugin", path: "Sources/CAccPlugin"),
        .target(name: "KernelIR"),
        .target(name: "Backends", dependencies: ["KernelIR", "CBLAS", "COpenCL", "CNUMA", "CAccPlugin"],
                resources: [.copy("Simulated/Profiles")]),
        .target(name: "Runtime", dependencies: ["KernelIR", "Backends"]),
        .target(name: "Models", dependencies: ["KernelIR", "Backends", "Runtime"]),
        .executableTarget(
            name: "acctl",
            dependencies: [
                "KernelIR", "Backends", "Runtime", "Models", "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "KernelIRTests", dependencies: ["KernelIR"]),
        .testTarget(name: "BackendsTests", dependencies: ["Backends"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models"]),
        .testTarget(name: "acctlTests", dependencies: ["acctl"]),
    ],
    swiftLanguageModes: [.v6]
)
