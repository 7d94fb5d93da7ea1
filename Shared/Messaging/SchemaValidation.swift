import Foundation

/// Checks a JSON document against a JSON Schema written with `Schema` (the subset Tongban's topic
/// schemas use: type, properties, required, additionalProperties, items, enum, const, pattern,
/// minimum, and the formats date-time, date and uri). Consumers outside Tongban validate against
/// Docs/asyncapi.yaml with any validator; this one lets the tests and the relay do the same.
public struct SchemaValidator: Sendable {
    let schema: DocumentNode

    public init(_ schema: DocumentNode) {
        self.schema = schema
    }

    /// Every way `json` breaks the schema, each naming where (`$.matters[0].mode`); empty when it conforms.
    public func violations(of json: [UInt8]) -> [String] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])
        } catch {
            return ["$: not JSON"]
        }
        var found: [String] = []
        check(value, against: schema, at: "$", into: &found)
        return found
    }

    private func check(_ value: Any, against schema: DocumentNode, at path: String, into found: inout [String]) {
        guard case .mapping(let pairs) = schema else { return }
        let keywords = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        if case .string(let type)? = keywords["type"], !Self.value(value, hasType: type) {
            found.append("\(path): must be \(type == "integer" || type == "array" || type == "object" ? "an" : "a") \(type)")
            return
        }
        if case .sequence(let allowed)? = keywords["enum"] {
            let texts = allowed.compactMap { node -> String? in if case .string(let text) = node { text } else { nil } }
            if let text = value as? String, !texts.contains(text) {
                found.append("\(path): '\(text)' is not one of \(texts.joined(separator: ", "))")
            }
        }
        if case .string(let constant)? = keywords["const"], let text = value as? String, text != constant {
            found.append("\(path): must be '\(constant)'")
        }
        if let text = value as? String {
            if case .string(let pattern)? = keywords["pattern"], text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): '\(text)' does not match \(pattern)")
            }
            if case .string(let format)? = keywords["format"], !Self.text(text, hasFormat: format) {
                found.append("\(path): '\(text)' is not a \(format)")
            }
        }
        if case .integer(let minimum)? = keywords["minimum"], let number = value as? NSNumber, number.doubleValue < Double(minimum) {
            found.append("\(path): \(number) is less than \(minimum)")
        }
        if let object = value as? [String: Any] {
            var properties: [(String, DocumentNode)] = []
            if case .mapping(let declared)? = keywords["properties"] { properties = declared }
            if case .sequence(let required)? = keywords["required"] {
                for case .string(let name) in required where object[name] == nil || object[name] is NSNull {
                    found.append("\(path).\(name): is required")
                }
            }
            let known = Set(properties.map(\.0))
            if case .boolean(false)? = keywords["additionalProperties"] {
                for name in object.keys.sorted() where !known.contains(name) {
                    found.append("\(path).\(name): is not a property of this payload")
                }
            }
            for (name, propertySchema) in properties {
                if let property = object[name], !(property is NSNull) {
                    check(property, against: propertySchema, at: "\(path).\(name)", into: &found)
                }
            }
        }
        if let array = value as? [Any], let items = keywords["items"] {
            for (index, item) in array.enumerated() {
                check(item, against: items, at: "\(path)[\(index)]", into: &found)
            }
        }
    }

    private static func value(_ value: Any, hasType type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return (value as? NSNumber).map(isBoolean) ?? false
        case "integer":
            guard let number = value as? NSNumber, !isBoolean(number) else { return false }
            return number.doubleValue.rounded() == number.doubleValue
        case "number": return (value as? NSNumber).map { !isBoolean($0) } ?? false
        case "null": return value is NSNull
        default: return true
        }
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        // JSON's true and false arrive as NSNumbers of Objective-C type `c` (char), numbers never do.
        String(cString: number.objCType) == "c"
    }

    private static func text(_ text: String, hasFormat format: String) -> Bool {
        switch format {
        case "date-time": return Envelope.parseTime(text) != nil
        case "date": return text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil
        case "uri": return URL(string: text)?.scheme != nil
        default: return true
        }
    }
}

extension Topic {
    /// How `payload` breaks this topic's schema; empty when it conforms.
    public func violations(of payload: [UInt8]) -> [String] {
        SchemaValidator(self.payload).violations(of: payload)
    }
}
