import ArgumentParser

/// `acctl`: the command-line face of acc.
@main
struct Acctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acctl",
        abstract: "acc: train video models on any accelerator from one IR.",
        subcommands: [VersionCommand.self, DevicesCommand.self, BenchCommand.self, CheckCommand.self, ParseCommand.self,
                      CompileCommand.self, TrainCommand.self]
    )
}
