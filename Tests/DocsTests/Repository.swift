import Foundation
import Messaging
import TestSupport
import Yams

/// The repository's files as the documentation tests read them: text, YAML, and what the Swift
/// sources say once their comments are gone.
enum Repository {
    static var root: URL { LocalInfrastructure.repositoryRoot }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path)
    }

    /// Every file under `folder` whose name ends in one of `extensions`, as repository paths.
    static func files(under folder: String, extensions: [String]) -> [String] {
        let base = root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var paths: [String] = []
        for case let url as URL in walker where extensions.contains(where: { url.lastPathComponent.hasSuffix($0) }) {
            paths.append(folder + "/" + url.path.dropFirst(base.path.count + 1))
        }
        return paths.sorted()
    }

    /// The executable products of Package.swift: what the image must contain.
    static func executableProducts() throws -> Set<String> {
        let manifest = try text("Package.swift")
        return Set(manifest.matches(of: /\.executable\(name: "([^"]+)"/).map { String($0.output.1) })
    }

    /// Swift source with `//` and `/* */` comments removed (string literals kept), so that a name in
    /// a doc comment does not count as code that reads it.
    static func swiftCode(_ path: String) throws -> String {
        let source = Array(try text(path))
        var code = ""
        var index = 0
        var inString = false
        while index < source.count {
            let character = source[index]
            let next: Character? = index + 1 < source.count ? source[index + 1] : nil
            if inString {
                code.append(character)
                if character == "\\", let next {
                    code.append(next)
                    index += 2
                    continue
                }
                if character == "\"" { inString = false }
            } else if character == "/", next == "/" {
                while index < source.count, source[index] != "\n" { index += 1 }
                continue
            } else if character == "/", next == "*" {
                index += 2
                while index + 1 < source.count, !(source[index] == "*" && source[index + 1] == "/") { index += 1 }
                index += 2
                continue
            } else {
                if character == "\"" { inString = true }
                code.append(character)
            }
            index += 1
        }
        return code
    }

    /// `static let caseSubmitted = Topic(owner: "intake", event: "case-submitted" …)` in
    /// Shared/Messaging: each topic's Swift name with the topic name it stands for.
    static func topicDeclarations() throws -> [String: String] {
        var declarations: [String: String] = [:]
        for path in files(under: "Shared/Messaging", extensions: [".swift"]) {
            let code = try swiftCode(path)
            for match in code.matches(of: /static let (\w+) = Topic\(\s*owner: "([a-z]+)", event: "([a-z-]+)"(?:, version: (\d+))?/) {
                let version = match.output.4.map(String.init) ?? "1"
                declarations[String(match.output.1)] = "tongban.\(match.output.2).\(match.output.3).v\(version)"
            }
        }
        return declarations
    }

    /// The topics a service's code consumes: the `topics:` it hands to a consumer, either a literal
    /// list (`topics: [.bundleDecided, …]`, `[runtime.topic(.relayInbox).name]`) or a `static let
    /// topics` list of its own that it passes by name.
    static func consumedTopics(service folder: String) throws -> Set<String> {
        let declarations = try topicDeclarations()
        var code = ""
        for path in files(under: "Services/\(folder)", extensions: [".swift"]) {
            code += try swiftCode(path) + "\n"
        }
        var lists: [Substring] = []
        for match in code.matches(of: /topics: (\[[^\]]*\]|[A-Z]\w*\.topics)/) {
            let argument = match.output.1
            if argument.hasPrefix("[") {
                lists.append(argument)
            } else {
                let owner = argument.dropLast(".topics".count)
                let pattern = try Regex("(?:struct|enum|class) \(owner)\\b[\\s\\S]*?static let topics: \\[Topic\\] = (\\[[^\\]]*\\])")
                if let declaration = code.firstMatch(of: pattern), let list = declaration.output[1].substring {
                    lists.append(list)
                }
            }
        }
        var topics: Set<String> = []
        for list in lists {
            for reference in list.matches(of: /\.(\w+)/) {
                if let name = declarations[String(reference.output.1)] { topics.insert(name) }
            }
        }
        return topics
    }
}

/// YAML as plain values (String, [Any], [String: Any]) with anchors, aliases and merge keys (`<<`)
/// resolved the way Docker Compose resolves them.
enum PlainYAML {
    static func load(_ text: String) throws -> [String: Any] {
        guard let node = try Yams.compose(yaml: text), let value = plain(node) as? [String: Any] else { return [:] }
        return value
    }

    static func plain(_ node: Node) -> Any {
        switch node {
        case .scalar(let scalar):
            return scalar.string
        case .sequence(let sequence):
            return sequence.map(plain)
        case .mapping(let mapping):
            var merged: [String: Any] = [:]
            var own: [String: Any] = [:]
            for (key, value) in mapping {
                if key.string == "<<" {
                    let sources = (plain(value) as? [Any]) ?? [plain(value)]
                    for case let source as [String: Any] in sources {
                        merged.merge(source) { current, _ in current }
                    }
                } else if let name = key.string {
                    own[name] = plain(value)
                }
            }
            return merged.merging(own) { _, new in new }
        case .alias:
            return ""
        }
    }

    /// `overlay` laid over `base` as `docker compose -f base -f overlay` does for what these tests
    /// read: mappings merge key by key, anything else is replaced.
    static func merge(_ base: [String: Any], _ overlay: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in overlay {
            if let inner = value as? [String: Any], let existing = result[key] as? [String: Any] {
                result[key] = merge(existing, inner)
            } else {
                result[key] = value
            }
        }
        return result
    }
}
