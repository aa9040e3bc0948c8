import ArgumentParser

/// `phenaki graph ...`: look at the graphs the compiler builds.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Inspect model graphs.",
        subcommands: [DumpCommand.self, PlanCommand.self]
    )
}
