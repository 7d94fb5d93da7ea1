/// A YAML/JSON document as a tree with ordered keys: JSON Schemas and the AsyncAPI document are
/// built from it, and it renders as YAML that reads the same every time.
public indirect enum DocumentNode: Sendable, Equatable {
    case mapping([(String, DocumentNode)])
    case sequence([DocumentNode])
    case string(String)
    case integer(Int)
    case boolean(Bool)

    public static func == (lhs: DocumentNode, rhs: DocumentNode) -> Bool {
        lhs.yaml() == rhs.yaml()
    }

    /// Block-style YAML, two spaces per level; strings are quoted whenever plain style could misread them.
    public func yaml() -> String {
        var out = ""
        render(into: &out, indent: 0, inSequence: false)
        return out
    }

    private func render(into out: inout String, indent: Int, inSequence: Bool) {
        let pad = String(repeating: "  ", count: indent)
        switch self {
        case .mapping(let pairs) where pairs.isEmpty:
            out += " {}\n"
        case .sequence(let items) where items.isEmpty:
            out += " []\n"
        case .mapping(let pairs):
            if !inSequence { out += "\n" }
            for (index, (key, value)) in pairs.enumerated() {
                out += (inSequence && index == 0 ? "" : pad) + Self.scalar(key) + ":"
                value.render(into: &out, indent: indent + 1, inSequence: false)
            }
        case .sequence(let items):
            out += "\n"
            for item in items {
                out += pad + "- "
                if case .mapping = item {
                    item.render(into: &out, indent: indent + 1, inSequence: true)
                } else {
                    var line = ""
                    item.render(into: &line, indent: indent + 1, inSequence: true)
                    out += line.drop { $0 == " " }
                }
            }
        case .string(let text): out += " " + Self.scalar(text) + "\n"
        case .integer(let number): out += " \(number)\n"
        case .boolean(let flag): out += " \(flag)\n"
        }
    }

    static func scalar(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "_-./ ".contains($0) }
            && !text.isEmpty && text.first != " " && text.last != " " && text.first != "-"
            && !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(text.lowercased())
            && Double(text) == nil
        if plain { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}

/// JSON Schema fragments for event payloads.
public enum Schema {
    public static func object(_ properties: [(String, DocumentNode)], required: [String], description: String? = nil) -> DocumentNode {
        var pairs: [(String, DocumentNode)] = [("type", .string("object"))]
        if let description { pairs.append(("description", .string(description))) }
        pairs.append(("required", .sequence(required.map(DocumentNode.string))))
        pairs.append(("additionalProperties", .boolean(false)))
        pairs.append(("properties", .mapping(properties)))
        return .mapping(pairs)
    }

    public static func string(_ description: String, format: String? = nil, pattern: String? = nil, oneOf values: [String]? = nil) -> DocumentNode {
        var pairs: [(String, DocumentNode)] = [("type", .string("string")), ("description", .string(description))]
        if let format { pairs.append(("format", .string(format))) }
        if let pattern { pairs.append(("pattern", .string(pattern))) }
        if let values { pairs.append(("enum", .sequence(values.map(DocumentNode.string)))) }
        return .mapping(pairs)
    }

    public static func integer(_ description: String, minimum: Int? = nil) -> DocumentNode {
        var pairs: [(String, DocumentNode)] = [("type", .string("integer")), ("description", .string(description))]
        if let minimum { pairs.append(("minimum", .integer(minimum))) }
        return .mapping(pairs)
    }

    public static func boolean(_ description: String) -> DocumentNode {
        .mapping([("type", .string("boolean")), ("description", .string(description))])
    }

    public static func array(of items: DocumentNode, _ description: String) -> DocumentNode {
        .mapping([("type", .string("array")), ("description", .string(description)), ("items", items)])
    }
}
