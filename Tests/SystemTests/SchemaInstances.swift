import Foundation

/// Instances of the document's JSON Schemas: the plainest valid one (for the access test, whose
/// bodies must get past decoding so that the answer shows who may), and random ones for the
/// property-based run, mostly of the right shape with hostile contents, sometimes of the wrong one.
struct SchemaInstances {
    let document: OpenAPIOperations

    // MARK: The plainest valid instance

    func plain(_ schema: Any, depth: Int = 0) -> Any {
        let schema = document.resolve(schema)
        if let constant = schema["const"] { return constant }
        if let allowed = schema["enum"] as? [Any], let first = allowed.first { return first }
        if let example = schema["example"] { return example }
        if let examples = schema["examples"] as? [Any], let first = examples.first { return first }
        if let all = schema["allOf"] as? [Any] {
            var merged: [String: Any] = [:]
            for part in all {
                if let object = plain(part, depth: depth) as? [String: Any] { merged.merge(object) { $1 } }
            }
            return merged
        }
        if let choice = ((schema["oneOf"] ?? schema["anyOf"]) as? [Any])?.first { return plain(choice, depth: depth) }
        let type = OpenAPIOperations.types(schema).first { $0 != "null" } ?? (schema["properties"] != nil ? "object" : "string")
        switch type {
        case "object":
            var object: [String: Any] = [:]
            let properties = (schema["properties"] as? [String: Any]) ?? [:]
            for name in (schema["required"] as? [String]) ?? [] {
                object[name] = properties[name].map { plain($0, depth: depth + 1) } ?? "x"
            }
            return object
        case "array":
            guard depth < 6, let items = schema["items"] else { return [Any]() }
            return Array(repeating: plain(items, depth: depth + 1), count: max(1, (schema["minItems"] as? Int) ?? 1))
        case "integer":
            return (schema["minimum"] as? Int) ?? 1
        case "number":
            return (schema["minimum"] as? Double) ?? 1
        case "boolean":
            return true
        default:
            return plainString(schema)
        }
    }

    func plainString(_ schema: [String: Any]) -> String {
        switch schema["format"] as? String {
        case "date-time": return "2026-12-07T09:00:00Z"
        case "date": return "2026-12-07"
        case "uuid": return UUID().uuidString.lowercased()
        case "uri": return "https://example.org/x"
        case "byte": return Data("tongban".utf8).base64EncodedString()
        default: break
        }
        return String(repeating: "x", count: max(1, (schema["minLength"] as? Int) ?? 1))
    }

    // MARK: Random instances

    /// Strings a careless or hostile client sends.
    static let hostileStrings = [
        "", " ", "x", "0", "-1", "null", "true", "石家庄市长安区", "王建国", "👩‍💼", "\u{202E}gnp.exe", "a\u{0000}b", "line\nbreak",
        "tab\there", "\u{0007}", "\u{FEFF}", "' OR 1=1 --", "'; DROP TABLE cases; --", "../../etc/passwd", "%00", "%zz", "<script>alert(1)</script>",
        "${jndi:ldap://x}", "130100-20261207-000001", "130100-2026-000001", "91350100M000100Y43", "130102199003074578",
        "2026-13-45", "2026-12-07T25:61:00Z", "00000000-0000-0000-0000-000000000000", String(repeating: "长", count: 3000),
        String(repeating: "a", count: 70_000),
    ]

    func random(_ schema: Any, using generator: inout SplitMix64, depth: Int = 0) -> Any {
        // One in eight values anywhere is of a wrong kind.
        if depth > 0, Int.random(in: 0..<8, using: &generator) == 0 { return wrongKind(using: &generator) }
        let schema = document.resolve(schema)
        if let allowed = schema["enum"] as? [Any], !allowed.isEmpty, Bool.random(using: &generator) {
            return allowed.randomElement(using: &generator)!
        }
        if let all = schema["allOf"] as? [Any] {
            var merged: [String: Any] = [:]
            for part in all {
                if let object = random(part, using: &generator, depth: depth) as? [String: Any] { merged.merge(object) { $1 } }
            }
            return merged
        }
        if let choices = (schema["oneOf"] ?? schema["anyOf"]) as? [Any], let choice = choices.randomElement(using: &generator) {
            return random(choice, using: &generator, depth: depth)
        }
        let type = OpenAPIOperations.types(schema).randomElement(using: &generator) ?? (schema["properties"] != nil ? "object" : "string")
        switch type {
        case "object":
            var object: [String: Any] = [:]
            let required = Set((schema["required"] as? [String]) ?? [])
            for (name, property) in (schema["properties"] as? [String: Any]) ?? [:] {
                // Required members are mostly there, optional ones half the time.
                let keep = required.contains(name) ? Int.random(in: 0..<10, using: &generator) > 0 : Bool.random(using: &generator)
                if keep, depth < 6 { object[name] = random(property, using: &generator, depth: depth + 1) }
            }
            if Int.random(in: 0..<6, using: &generator) == 0 { object["unexpected"] = wrongKind(using: &generator) }
            return object
        case "array":
            guard depth < 6, let items = schema["items"] else { return [Any]() }
            return (0..<Int.random(in: 0...3, using: &generator)).map { _ in random(items, using: &generator, depth: depth + 1) }
        case "integer":
            return [0, 1, -1, 7, 365, Int(Int32.max), Int.max, Int.min].randomElement(using: &generator)!
        case "number":
            return [0, 1.5, -3.25, 1e300, -1e-300].randomElement(using: &generator)!
        case "boolean":
            return Bool.random(using: &generator)
        case "null":
            return NSNull()
        default:
            return Bool.random(using: &generator) ? plainString(schema) : Self.hostileStrings.randomElement(using: &generator)!
        }
    }

    func wrongKind(using generator: inout SplitMix64) -> Any {
        [NSNull(), 42, -0.5, true, [Any](), [String: Any](), Self.hostileStrings.randomElement(using: &generator)!].randomElement(using: &generator)!
    }

    /// A path or query value: usually of the schema, sometimes anything at all.
    func randomText(_ schema: Any, using generator: inout SplitMix64) -> String {
        switch random(schema, using: &generator, depth: 1) {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        case let value as Int: String(value)
        case let value as Double: String(value)
        case let value as Bool: String(value)
        default: Self.hostileStrings.randomElement(using: &generator)!
        }
    }
}

/// A seeded generator, so that a failing run can be played again with its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
