import Testing
@testable import Runtime

@Test func runtimeReportsItsVersionAndLibraries() {
    #expect(Runtime.version.split(separator: ".").count == 3)
    #expect(Runtime.systemLibraries.openBLASConfiguration.contains("OpenBLAS"))
}
