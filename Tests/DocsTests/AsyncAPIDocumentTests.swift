import Foundation
import Messaging
import Testing

/// Docs/asyncapi.yaml is what departments' and partners' systems build against. MessagingTests
/// hold it equal to what the registry generates; these tests check that it is a well-formed
/// AsyncAPI 3 document and that every topic the code declares or names is in it.
@Suite("Docs/asyncapi.yaml")
struct AsyncAPIDocumentTests {
    static func document() throws -> [String: Any] {
        try PlainYAML.load(Repository.text("Docs/asyncapi.yaml"))
    }

    /// Every `$ref` in the document, with where it was found.
    static func references(in value: Any, at path: String = "#") -> [(at: String, target: String)] {
        if let map = value as? [String: Any] {
            var found: [(String, String)] = []
            if let target = map["$ref"] as? String { found.append((path, target)) }
            for (key, inner) in map where key != "$ref" {
                found += references(in: inner, at: "\(path)/\(key)")
            }
            return found
        }
        if let list = value as? [Any] {
            return list.enumerated().flatMap { references(in: $1, at: "\(path)/\($0)") }
        }
        return []
    }

    /// The value a local JSON pointer (`#/channels/x/messages/y`) names, or nil.
    static func resolve(_ pointer: String, in document: [String: Any]) -> Any? {
        guard pointer.hasPrefix("#/") else { return nil }
        var current: Any = document
        for raw in pointer.dropFirst(2).split(separator: "/") {
            let key = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let map = current as? [String: Any], let next = map[key] else { return nil }
            current = next
        }
        return current
    }

    @Test("is an AsyncAPI 3.0 document whose references all resolve, with a channel and a receive operation per topic")
    func validates() throws {
        let document = try Self.document()
        #expect(document["asyncapi"] as? String == "3.0.0")
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] is String && info["version"] is String)
        for reference in Self.references(in: document) {
            #expect(Self.resolve(reference.target, in: document) != nil, "\(reference.at): $ref \(reference.target) resolves to nothing")
        }
        let channels = try #require(document["channels"] as? [String: Any])
        for (key, value) in channels {
            let channel = try #require(value as? [String: Any], "channel \(key)")
            let address = try #require(channel["address"] as? String, "channel \(key) has no address")
            #expect(TopicRegistry.topic(named: address) != nil, "channel \(key) is on \(address), which is no topic")
            let messages = try #require(channel["messages"] as? [String: Any], "channel \(key) has no messages")
            #expect(!messages.isEmpty)
        }
        let operations = try #require(document["operations"] as? [String: Any])
        var operated: Set<String> = []
        for (key, value) in operations {
            let operation = try #require(value as? [String: Any], "operation \(key)")
            #expect(["send", "receive"].contains(operation["action"] as? String ?? ""), "operation \(key): action")
            let channel = try #require((operation["channel"] as? [String: Any])?["$ref"] as? String, "operation \(key) names no channel")
            #expect(channel.hasPrefix("#/channels/"))
            operated.insert(String(channel.dropFirst("#/channels/".count)))
            // An operation's messages are its channel's.
            for case let message as [String: Any] in operation["messages"] as? [Any] ?? [] {
                #expect((message["$ref"] as? String)?.hasPrefix(channel + "/messages/") == true, "operation \(key): message \(message)")
            }
        }
        #expect(operated == Set(channels.keys), "channels without an operation: \(Set(channels.keys).subtracting(operated).sorted())")
        #expect(Set(channels.compactMap { ($0.value as? [String: Any])?["address"] as? String }) == Set(TopicRegistry.all.map(\.name)))
    }

    @Test("every topic the code declares is in the registry, and every topic name the code, the guides and Compose/ spell out is a registry topic")
    func everyTopicInTheCodeIsDocumented() throws {
        let declared = try Repository.topicDeclarations()
        let registry = Set(TopicRegistry.all.map(\.name))
        #expect(declared.count >= 15, "the scan found only \(declared.keys.sorted())")
        for (swiftName, topic) in declared {
            #expect(registry.contains(topic), "Topic.\(swiftName) (\(topic)) is not in TopicRegistry.all, so neither created nor documented")
        }
        // Dead-letter topics are made by Topic.deadLetters(of:) for every service.
        for service in TopicRegistry.services {
            #expect(registry.contains(Topic.deadLetters(of: service).name))
        }
        // Any topic name written out in a service or shared library (a literal `tongban.x.y.vN`).
        for base in ["Services", "Shared"] {
            for path in Repository.files(under: base, extensions: [".swift"]) {
                for match in try Repository.swiftCode(path).matches(of: /"(tongban\.[a-z]+\.[a-z-]+\.v\d+)"/) {
                    #expect(registry.contains(String(match.output.1)), "\(path) names topic \(match.output.1), which is not in the registry")
                }
            }
        }
        // The guides' and Compose/'s topic names too: a department copies them into its consumer.
        for path in Repository.files(under: "Docs", extensions: [".md"]) + Repository.files(under: "Compose", extensions: [".yaml", ".sh"]) + ["README.md"] {
            for match in try Repository.text(path).matches(of: /tongban\.[a-z]+\.[a-z-]+\.v\d+/) {
                #expect(registry.contains(String(match.output)), "\(path) names topic \(match.output), which is not in the registry")
            }
        }
        // And every service's consumed topics (read from its code) are registry topics.
        for service in TopicRegistry.services {
            let consumed = try Repository.consumedTopics(service: service.prefix(1).uppercased() + service.dropFirst())
            #expect(!consumed.isEmpty, "found no topics that \(service) consumes")
            #expect(consumed.isSubset(of: registry), "\(service) consumes \(consumed.subtracting(registry).sorted()), not in the registry")
        }
    }
}
