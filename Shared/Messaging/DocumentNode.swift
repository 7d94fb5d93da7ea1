import Yams

/// A YAML/JSON document as a tree with ordered keys: JSON Schemas and the AsyncAPI document are
/// built from it, and it renders as YAML that reads the same every time.
public indirect enum DocumentNode: Sendable, Equatable {
    case mapping([(String, DocumentNode)])
    case sequence([DocumentNode])
    case string(String)
    case integer(Int)
    case boolean(Bool)

    // Written out because a mapping's (key, node) pairs are tuples, which Swift does not compare
    // for a synthesised ==. Two trees are equal when their keys come in the same order.
    public static func == (lhs: DocumentNode, rhs: DocumentNode) -> Bool {
        switch (lhs, rhs) {
        case let (.mapping(left), .mapping(right)):
            left.count == right.count && zip(left, right).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.sequence(left), .sequence(right)): left == right
        case let (.string(left), .string(right)): left == right
        case let (.integer(left), .integer(right)): left == right
        case let (.boolean(left), .boolean(right)): left == right
        default: false
        }
    }

    /// Block-style YAML, two spaces per level, keys in the tree's order, lines never folded;
    /// written by Yams (libyaml), which quotes a string wherever plain style would read as
    /// something else (`"true"`, `"1.0"`, `"- x"`).
    public func yaml() -> String {
        // The tree holds only strings, integers and booleans: nothing the emitter can refuse.
        (try? Yams.serialize(node: node, indent: 2, width: -1, allowUnicode: true, sortKeys: false)) ?? ""
    }

    var node: Node {
        switch self {
        case .mapping(let pairs): .mapping(Node.Mapping(pairs.map { (Node.scalar($0.0.represented()), $0.1.node) }))
        case .sequence(let items): .sequence(Node.Sequence(items.map(\.node)))
        case .string(let text): .scalar(text.represented())
        case .integer(let number): .scalar(number.represented())
        case .boolean(let flag): .scalar(flag.represented())
        }
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
