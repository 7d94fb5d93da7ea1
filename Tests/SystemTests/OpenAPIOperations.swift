import Foundation
import TestSupport
import Yams

/// Docs/openapi.yaml as the route tests read it: each operation with its parameters, request body
/// and responses, its JSON Schemas as plain values with `$ref`s followed on demand. Plain values,
/// not a typed model, because the tests both make instances of the schemas and check answers
/// against them, and both are short walks over a dictionary.
struct OpenAPIOperations {
    struct Parameter {
        var name: String
        /// `path`, `query` or `header`.
        var location: String
        var required: Bool
        var schema: Any
    }

    struct Operation {
        var method: String
        var path: String
        var tag: String
        /// `METHOD /path`, as Docs/access.md names it.
        var name: String { "\(method) \(path)" }
        var parameters: [Parameter]
        /// The JSON body's schema, when the operation takes one.
        var body: Any?
        /// Status (`200`, `4XX`, `default`) → media type → schema (`NSNull` where none is given).
        var responses: [String: [String: Any]]
        /// Whether a caller must hold a token (the document's `security`).
        var secured: Bool
    }

    let root: [String: Any]
    let operations: [Operation]

    init() throws {
        let path = LocalInfrastructure.repositoryRoot.appendingPathComponent("Docs/openapi.yaml")
        guard let root = try Yams.load(yaml: try String(contentsOf: path, encoding: .utf8)) as? [String: Any] else {
            throw OpenAPIError(description: "Docs/openapi.yaml is not a mapping")
        }
        self.root = root
        let secured = !((root["security"] as? [Any]) ?? []).isEmpty
        var operations: [Operation] = []
        for (path, item) in (root["paths"] as? [String: Any]) ?? [:] {
            guard let item = item as? [String: Any] else { continue }
            let shared = (item["parameters"] as? [Any]) ?? []
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let parameters = (shared + ((operation["parameters"] as? [Any]) ?? [])).compactMap { raw -> Parameter? in
                    let parameter = Self.resolve(raw, in: root)
                    guard let name = parameter["name"] as? String, let location = parameter["in"] as? String else { return nil }
                    return Parameter(name: name, location: location, required: parameter["required"] as? Bool ?? false, schema: parameter["schema"] ?? [:])
                }
                let request = (operation["requestBody"]).map { Self.resolve($0, in: root) }
                let body = ((request?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"]
                var responses: [String: [String: Any]] = [:]
                for (status, response) in (operation["responses"] as? [String: Any]) ?? [:] {
                    let response = Self.resolve(response, in: root)
                    var media: [String: Any] = [:]
                    for (type, content) in (response["content"] as? [String: Any]) ?? [:] {
                        media[type] = (content as? [String: Any])?["schema"] ?? NSNull()
                    }
                    responses[String(describing: status)] = media
                }
                let security = operation["security"] as? [Any]
                operations.append(Operation(
                    method: method.uppercased(), path: path, tag: ((operation["tags"] as? [String]) ?? []).first ?? "",
                    parameters: parameters, body: body, responses: responses, secured: security.map { !$0.isEmpty } ?? secured
                ))
            }
        }
        self.operations = operations.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    /// `value` with its `$ref` (to this document) followed, as a mapping.
    static func resolve(_ value: Any, in root: [String: Any]) -> [String: Any] {
        var current = value as? [String: Any] ?? [:]
        while let reference = current["$ref"] as? String, reference.hasPrefix("#/") {
            var target: Any? = root
            for part in reference.dropFirst(2).split(separator: "/") {
                target = (target as? [String: Any])?[String(part)]
            }
            current = target as? [String: Any] ?? [:]
        }
        return current
    }

    func resolve(_ schema: Any) -> [String: Any] { Self.resolve(schema, in: root) }

    /// The schema's types, `null` included where allowed.
    static func types(_ schema: [String: Any]) -> [String] {
        if let type = schema["type"] as? String { return [type] }
        if let types = schema["type"] as? [String] { return types }
        return []
    }

    // MARK: Answers against the document

    /// Why `value` (decoded JSON) does not match `schema`; empty when it does.
    func problems(_ value: Any, against schema: Any, at path: String = "$") -> [String] {
        let schema = resolve(schema)
        if let all = schema["allOf"] as? [Any] {
            return all.flatMap { problems(value, against: $0, at: path) }
        }
        for key in ["oneOf", "anyOf"] {
            if let choices = schema[key] as? [Any] {
                let tried = choices.map { problems(value, against: $0, at: path) }
                return tried.contains { $0.isEmpty } ? [] : ["\(path) matches none of its \(key): \(tried.first ?? [])"]
            }
        }
        let types = Self.types(schema)
        if !types.isEmpty, !types.contains(where: { Self.value(value, isOfType: $0) }) {
            return ["\(path) is \(Self.kind(of: value)), not \(types.joined(separator: " or "))"]
        }
        if let allowed = schema["enum"] as? [Any], let text = value as? String, !allowed.contains(where: { ($0 as? String) == text }) {
            return ["\(path) is \"\(text)\", not one of \(allowed)"]
        }
        if let constant = schema["const"] as? String, let text = value as? String, text != constant {
            return ["\(path) is \"\(text)\", not \"\(constant)\""]
        }
        var found: [String] = []
        if let object = value as? [String: Any] {
            for name in (schema["required"] as? [String]) ?? [] where object[name] == nil {
                found.append("\(path).\(name) is missing")
            }
            let properties = (schema["properties"] as? [String: Any]) ?? [:]
            for (name, member) in object {
                if let property = properties[name] {
                    found += problems(member, against: property, at: "\(path).\(name)")
                } else if let additional = schema["additionalProperties"] {
                    if additional as? Bool == false {
                        found.append("\(path).\(name) is not in the document")
                    } else if additional is [String: Any] {
                        found += problems(member, against: additional, at: "\(path).\(name)")
                    }
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (index, element) in array.enumerated() {
                found += problems(element, against: items, at: "\(path)[\(index)]")
            }
        }
        return found
    }

    static func value(_ value: Any, isOfType type: String) -> Bool {
        switch type {
        case "null": value is NSNull
        case "string": value is String
        case "boolean": kind(of: value) == "a boolean"
        case "integer": kind(of: value) == "a number" && (value as? Double).map { $0.rounded() == $0 } == true
        case "number": kind(of: value) == "a number"
        case "array": value is [Any]
        case "object": value is [String: Any]
        default: true
        }
    }

    /// What JSONSerialization made of a JSON value, in words.
    static func kind(of value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case let number as NSNumber: String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        default: "\(type(of: value))"
        }
    }
}

struct OpenAPIError: Error, CustomStringConvertible {
    var description: String
}
