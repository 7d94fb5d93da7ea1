import ArgumentParser
import Foundation
import Messaging

/// `tongban docs asyncapi`: writes the event contract from the topic registry.
struct Docs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate contract documents from the code.",
        subcommands: [AsyncAPI.self]
    )

    struct AsyncAPI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "asyncapi",
            abstract: "Write Docs/asyncapi.yaml (AsyncAPI 3) from the topic registry."
        )

        @Option(help: "Where to write it; - for standard output.")
        var output = "Docs/asyncapi.yaml"

        func run() throws {
            let text = AsyncAPIDocument.render()
            if output == "-" {
                print(text, terminator: "")
            } else {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
                print("wrote \(output) (\(TopicRegistry.all.count) topics)")
            }
        }
    }
}
