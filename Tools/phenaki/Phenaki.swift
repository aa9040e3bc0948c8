import ArgumentParser

/// The `phenaki` command line: one subcommand group per task.
@main
struct Phenaki: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phenaki",
        abstract: "Compile, inspect and run Phenaki text-to-video graphs on the CPU.",
        subcommands: [DemoCommand.self, GraphCommand.self, CompileCommand.self, RunCommand.self, BenchCommand.self, ConfigCommand.self,
                      CViViTCommand.self, MaskGitCommand.self, CriticCommand.self, EmbedTextCommand.self, InitCommand.self,
                      SampleCommand.self, MakeVideoCommand.self, TrainCViViTCommand.self, TrainCommand.self, EvalCommand.self]
    )
}
