import Testing
@testable import Backends

@Test func systemLibrariesAreLinkedAndReport() {
    let libraries = SystemLibraries.probe()
    #expect(libraries.openBLASConfiguration.hasPrefix("OpenBLAS"))
    #expect(libraries.openBLASThreads >= 1)
    #expect(libraries.numaNodeCount >= 1)
    #expect(libraries.openCLPlatformCount >= 0)
}
