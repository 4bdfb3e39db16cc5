import ArgumentParser
import Foundation
import KernelIR

/// `acctl parse FILE.kir`: verify a module and print it in canonical form.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Verify a .kir file and print it back in canonical form.",
        discussion: "Exits with status 1 and a 'file:line:column: error: ...' diagnostic if the file is malformed."
    )

    @Argument(help: "The .kir file to read.")
    var file: String

    func run() throws {
        let module = try KIRFile.load(file)
        print(module.text, terminator: "")
    }
}

/// Reading `.kir` files from disk, with diagnostics prefixed by the path as compilers do.
enum KIRFile {
    /// The parsed and verified module in `path`; on failure prints `path:line:column: error: message`
    /// to standard error and exits with status 1.
    static func load(_ path: String) throws -> Module {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read '\(path)': no such file or no permission")
        }
        do {
            return try Module(parsing: [UInt8](data))
        } catch {
            let text = error.description
            let split = text.range(of: ": ").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) } ?? ("", text)
            FileHandle.standardError.write(Data("\(path):\(split.0): error: \(split.1)\n".utf8))
            throw ExitCode(1)
        }
    }
}
