import ArgumentParser

/// `tongban`: the operators' command.
@main
struct Tongban: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tongban",
        abstract: "Operate Tongban, the government service backbone.",
        subcommands: [Status.self, Database.self, Token.self, Relay.self, Docs.self, Replay.self, Demo.self]
    )
}
