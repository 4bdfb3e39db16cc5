import Foundation
import ArgumentParser
import Testing
@testable import acctl

private func temporaryFile(_ contents: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("acctl-\(UUID().uuidString).kir").path
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Test func parseAcceptsAValidFile() throws {
    let path = try temporaryFile("func @f(%x: f32[2]) -> (f32[2]) {\n  %y = neg(%x) : f32[2]\n  return %y\n}\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let module = try KIRFile.load(path)
    #expect(module.functions.map(\.name) == ["f"])
    let command = try ParseCommand.parse([path])
    try command.run()
}

@Test func parseExitsWithStatusOneOnMalformedInput() throws {
    let path = try temporaryFile("func @f(%x: f32[2]) -> (f32[2]) {\n  %y = nope(%x) : f32[2]\n  return %y\n}\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(throws: ExitCode(1)) { try KIRFile.load(path) }
}

@Test func parseReportsAMissingFile() {
    let error = #expect(throws: (any Error).self) { try KIRFile.load("/nonexistent/file.kir") }
    #expect("\(error.map { String(describing: $0) } ?? "")".contains("cannot read '/nonexistent/file.kir'"))
}
