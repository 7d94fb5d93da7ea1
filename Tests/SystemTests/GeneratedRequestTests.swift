import Foundation
import Messaging
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// A property-based run of every operation of Docs/openapi.yaml against the five running services:
/// requests generated from the document (path items of the region's case or anything at all,
/// query values of their schema or hostile text, bodies of the schema's shape with wrong kinds and
/// hostile strings inside, or no JSON at all), sent with a token of any role or none. Whatever
/// comes in, no answer is a 5xx the document does not promise, and every answer is one the
/// document gives for its operation: a status it lists, a media type it lists for that status,
/// and a JSON body that matches the schema.
/// The seed is in every failure; `TONGBAN_PROPERTY_SEED` plays a run again.
@Suite("every operation with generated requests, from Docs/openapi.yaml", .timeLimit(.minutes(8)))
struct GeneratedRequestTests {
    static let requestsPerOperation = 60

    @Test("generated paths, queries, headers and bodies: never an undocumented 5xx, and every answer is one the document gives for its operation")
    func generatedRequests() async throws {
        let seed = ProcessInfo.processInfo.environment["TONGBAN_PROPERTY_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        var generator = SplitMix64(seed: seed)
        let document = try OpenAPIOperations()
        let instances = SchemaInstances(document: document)
        let served = try await ServedRegion.start()
        let completed = try await CompletedCase.make(in: served)
        var tokens: [String?] = [nil]
        for role in Role.allCases {
            tokens.append(try await served.region.token(ServedRegion.inReach(role)))
            if let outsider = ServedRegion.outOfReach(role) { tokens.append(try await served.region.token(outsider)) }
        }

        /// The first answer of each kind that is outside the document, by operation and kind.
        var outside: [String: String] = [:]
        var sent = 0
        for operation in document.operations {
            let services = operation.tag == "operations" ? ServiceName.allCases : [try #require(ServiceName(rawValue: operation.tag))]
            for service in services {
                let client = try served.client(service)
                for _ in 0..<Self.requestsPerOperation {
                    let request = Self.request(for: operation, of: completed, instances: instances, using: &generator)
                    var headers = request.headers
                    if let token = tokens.randomElement(using: &generator)!, Int.random(in: 0..<10, using: &generator) > 0 {
                        headers["Authorization"] = "Bearer \(token)"
                    }
                    let answer = try await client.send(operation.method, request.path, body: request.body, headers: headers)
                    sent += 1
                    if let problem = Self.outsideTheDocument(answer, of: operation, document: document) {
                        let key = "\(service.rawValue) \(operation.name) \(answer.status) \(problem.kind)"
                        if outside[key] == nil {
                            outside[key] = "\(problem.detail) — for \(operation.method) \(request.path.prefix(200)) with body \(request.body.map { String(decoding: $0.prefix(300), as: UTF8.self) } ?? "none")"
                        }
                    }
                }
            }
        }
        #expect(sent >= document.operations.count * Self.requestsPerOperation)
        for (key, example) in outside.sorted(by: { $0.key < $1.key }) {
            Issue.record("seed \(seed): \(key): \(example)")
        }
    }

    /// What is wrong with `answer` for `operation`, or nil when the document gives it.
    static func outsideTheDocument(_ answer: ServiceResponse, of operation: OpenAPIOperations.Operation, document: OpenAPIOperations) -> (kind: String, detail: String)? {
        let said = "\(answer.status) \(answer.contentType ?? "(no type)") \(answer.text.prefix(300))"
        let status = String(answer.status)
        // A 5xx is a fault unless the document promises it (readiness is 503 while the broker does not answer).
        if answer.status >= 500, operation.responses[status] == nil { return ("5xx", said) }
        guard let media = operation.responses[status] ?? operation.responses["\(status.prefix(1))XX"] ?? operation.responses["default"] else {
            return ("undocumented status", "the document lists \(operation.responses.keys.sorted()), got \(said)")
        }
        guard !media.isEmpty, !answer.body.isEmpty else { return nil }
        let type = answer.contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let schema = media[type] else {
            return ("undocumented media type", "the document gives \(media.keys.sorted()) for \(status), got \(said)")
        }
        guard type.hasSuffix("json"), !(schema is NSNull) else { return nil }
        guard let value = try? JSONSerialization.jsonObject(with: answer.body, options: [.fragmentsAllowed]) else {
            return ("not JSON", said)
        }
        let problems = document.problems(value, against: schema)
        return problems.isEmpty ? nil : ("body outside its schema", "\(problems.prefix(5)) in \(said)")
    }

    /// A request for `operation`: each path item the case's own or generated text, each query
    /// parameter left out or generated, required headers mostly well formed, and a body mostly of
    /// the schema's shape, sometimes broken JSON or bytes that are not UTF-8.
    static func request(
        for operation: OpenAPIOperations.Operation, of completed: CompletedCase, instances: SchemaInstances, using generator: inout SplitMix64
    ) -> (path: String, body: Data?, headers: [String: String]) {
        var path = operation.path
        var query: [String] = []
        var headers: [String: String] = [:]
        for parameter in operation.parameters {
            switch parameter.location {
            case "path":
                let own = completed.value(for: parameter.name, in: operation.path)
                let value = own.flatMap { Bool.random(using: &generator) ? $0 : nil } ?? instances.randomText(parameter.schema, using: &generator)
                // An empty segment would be another route (`/matters/` is `/matters`), not another value.
                path = path.replacingOccurrences(of: "{\(parameter.name)}", with: value.isEmpty ? "%20" : encoded(value))
            case "query" where Bool.random(using: &generator):
                query.append("\(parameter.name)=\(encoded(instances.randomText(parameter.schema, using: &generator)))")
            case "header" where parameter.required || Bool.random(using: &generator):
                // URLSession refuses header values with line breaks: hostile text stays on one line.
                let text = Int.random(in: 0..<5, using: &generator) > 0 ? UUID().uuidString.lowercased() : instances.randomText(parameter.schema, using: &generator)
                headers[parameter.name] = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200))
            default:
                break
            }
        }
        if !query.isEmpty { path += "?" + query.joined(separator: "&") }
        guard let schema = operation.body else { return (path, nil, headers) }
        headers["Content-Type"] = "application/json"
        let body: Data? = switch Int.random(in: 0..<20, using: &generator) {
        case 0: nil
        case 1: Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A])  // not UTF-8, not JSON
        case 2: Data(#"{"materials": [{"code": "#.utf8)  // cut off
        default: try? JSONSerialization.data(withJSONObject: instances.random(schema, using: &generator), options: [.fragmentsAllowed])
        }
        return (path, body, headers)
    }

    /// Percent-encoded for a path segment or query value; long text is cut where a proxy would refuse the line.
    static func encoded(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return String(text.prefix(2000)).addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
