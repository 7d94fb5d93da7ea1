import Foundation
import Messaging
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// Docs/access.md is the one table of who may call what; this checks it against the five running
/// services, for every operation Docs/openapi.yaml has, with every role's token — of the caller
/// whose work the case is, of one of the same role whose work it is not, of the same role in another
/// region — and with no token, an expired one and one signed by another key.
@Suite("Docs/access.md against the five running services", .serialized, .timeLimit(.minutes(8)))
struct AccessTableTests {
    @Test("every operation of Docs/openapi.yaml is in Docs/access.md exactly once, under its service, and the table names no other")
    func tableCoversTheDocument() throws {
        let table = try AccessTable()
        let document = try OpenAPIOperations()
        let documented = Set(document.operations.map { "\(Self.section(ofTag: $0.tag)): \($0.name)" })
        let written = table.rows.map { "\($0.section): \($0.operation)" }
        #expect(!written.isEmpty, "Docs/access.md has no rows the test can read")
        let twice = Dictionary(grouping: written, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(twice.isEmpty, "Docs/access.md has these more than once: \(twice)")
        let missing = documented.subtracting(written).sorted()
        #expect(missing.isEmpty, "Docs/access.md does not say who may call \(missing)")
        let stale = Set(written).subtracting(documented).sorted()
        #expect(stale.isEmpty, "Docs/access.md has rows for \(stale), which Docs/openapi.yaml does not document")
        for row in table.rows {
            #expect(["public", "401"].contains(row.none), "\(row.operation): the none cell is \(row.none)")
            #expect(Set(row.cells.keys) == Set(Role.allCases), "\(row.operation) has cells for \(row.cells.keys.map(\.rawValue).sorted())")
            for (role, cell) in row.cells {
                #expect(["yes", "own", "no"].contains(cell), "\(row.operation), \(role.rawValue): \(cell)")
            }
            if let operation = document.operations.first(where: { $0.name == row.operation }) {
                #expect(operation.secured == (row.none == "401"), "\(row.operation): the table says \(row.none) without a token, the document's security says \(operation.secured ? "a token" : "none")")
            }
        }
    }

    /// The table's section for an OpenAPI tag: the service's name, or `every service` for the routes all five have.
    static func section(ofTag tag: String) -> String {
        tag == "operations" ? AccessTable.everyService : tag
    }

    /// What a call must answer.
    enum Expected: CustomStringConvertible {
        /// 401, before anything else.
        case unauthenticated
        /// 403, whatever the item.
        case forbidden
        /// Past the door: neither 401 nor 403; a read of the case's own item is 2xx.
        case inReach
        /// Past the door, but the case is not this caller's: its item is 404, a list leaves it out.
        case outOfReach

        var description: String {
            switch self {
            case .unauthenticated: "401"
            case .forbidden: "403"
            case .inReach: "let through"
            case .outOfReach: "let through, the case's items withheld"
            }
        }
    }

    /// One call: who, with which token, and what the table says it must get.
    struct Call {
        var caller: String
        var token: String?
        var expected: Expected
    }

    @Test("every operation answers every caller as Docs/access.md says: in reach, out of reach, another region, no token, an expired token, another key's token")
    func everyOperationEveryCaller() async throws {
        let table = try AccessTable()
        let document = try OpenAPIOperations()
        let instances = SchemaInstances(document: document)
        let served = try await ServedRegion.start()
        let completed = try await CompletedCase.make(in: served)
        let region = served.region
        let expired = try await region.token(ServedRegion.supervisor, lifetime: .seconds(-120))
        let foreign = try await TokenSigningKey.generate().issueToken(for: ServedRegion.supervisor, issuer: "tongban-local", audience: "tongban", lifetime: .seconds(3600))
        var checked = 0

        for operation in document.operations {
            let section = Self.section(ofTag: operation.tag)
            guard let row = table.rows.first(where: { $0.section == section && $0.operation == operation.name }) else { continue }
            var calls = [
                Call(caller: "no token", token: nil, expected: row.none == "public" ? .inReach : .unauthenticated),
                Call(caller: "an expired token", token: expired, expected: .unauthenticated),
                Call(caller: "a token of another key", token: foreign, expected: .unauthenticated),
            ]
            for role in Role.allCases {
                let cell = row.cells[role] ?? "no"
                calls.append(Call(caller: role.rawValue, token: try await region.token(ServedRegion.inReach(role)), expected: cell == "no" ? .forbidden : .inReach))
                if cell == "own", let outsider = ServedRegion.outOfReach(role) {
                    calls.append(Call(caller: "\(role.rawValue) \(outsider.subject)", token: try await region.token(outsider), expected: .outOfReach))
                }
                if let elsewhere = ServedRegion.elsewhere(role) {
                    let expected: Expected = row.none == "public" ? .inReach : .forbidden
                    calls.append(Call(caller: "\(role.rawValue) of region \(elsewhere.region ?? "")", token: try await region.token(elsewhere), expected: expected))
                }
            }
            let services = section == AccessTable.everyService ? ServiceName.allCases : [try #require(ServiceName(rawValue: section), "no service \(section)")]
            for service in services {
                let client = try served.client(service)
                for call in calls {
                    let request = Self.request(for: operation, of: completed, instances: instances)
                    var headers = request.headers
                    if let token = call.token { headers["Authorization"] = "Bearer \(token)" }
                    let answer = try await client.send(operation.method, request.path, body: request.body, headers: headers)
                    let outside = GeneratedRequestTests.outsideTheDocument(answer, of: operation, document: document).map { "outside Docs/openapi.yaml (\($0.kind)): \($0.detail)" }
                    let failure = outside ?? Self.failure(of: answer, expected: call.expected, operation: operation, resolved: request.resolved, completed: completed)
                    #expect(failure == nil, "\(service.rawValue) \(operation.name) as \(call.caller) must be \(call.expected): \(failure ?? "")")
                    checked += 1
                }
            }
        }
        #expect(checked > document.operations.count * 10, "only \(checked) calls were made")

        // 个人信息保护: the staff's reads above are each in the owning service's access log, who and
        // what; an applicant's own reads are not staff reads.
        let supervisor = try await region.token(ServedRegion.supervisor)
        let reads: [(ServiceName, String, Principal, String)] = [
            (.intake, "GET /cases/{number}", ServedRegion.clerk, "/cases/\(completed.number)"),
            (.intake, "GET /cases/{number}/materials/{id}", ServedRegion.marketOfficer, "/cases/\(completed.number)/materials/\(completed.material)"),
            (.approval, "GET /tasks/{id}", ServedRegion.marketOfficer, "/tasks/\(completed.task)"),
            (.seal, "GET /licences/{number}/page", ServedRegion.supervisor, "/licences/\(completed.licence)/page"),
            (.evaluation, "GET /cases/{number}/rating", ServedRegion.supervisor, "/cases/\(completed.number)/rating"),
        ]
        for (service, route, reader, item) in reads {
            let answer = try await served.client(service).get("/access-log?subject=\(reader.subject)", token: supervisor)
            #expect(answer.status == 200, "\(answer.text)")
            let log = try answer.decode(AccessLogEntries.self)
            let entry = log.entries.first { $0.route == route && $0.item == item }
            #expect(entry?.role == reader.role.rawValue && entry?.region == reader.region && entry?.department == reader.department, "\(service.rawValue) did not record \(reader.subject)'s \(route): \(log.entries.map { ($0.route, $0.item) })")
        }
        let intakeLog = try await served.client(.intake).get("/access-log?case=\(completed.number)", token: supervisor).decode(AccessLogEntries.self)
        #expect(!intakeLog.entries.isEmpty && intakeLog.entries.allSatisfy { $0.role != "applicant" && $0.caseNumber == completed.number })
        #expect(intakeLog.retentionDays == 365)
    }

    /// Why `answer` is not what `expected` allows, or nil when it is.
    static func failure(of answer: ServiceResponse, expected: Expected, operation: OpenAPIOperations.Operation, resolved: Bool, completed: CompletedCase) -> String? {
        let said = "got \(answer.status) \(answer.text.prefix(300))"
        if answer.status >= 500, operation.responses[String(answer.status)] == nil { return said }
        if answer.status >= 400, answer.contentType?.hasPrefix(ProblemDocument.mediaType) != true {
            return "a refusal must be problem+json, \(said) as \(answer.contentType ?? "no type")"
        }
        switch expected {
        case .unauthenticated:
            return answer.status == 401 ? nil : said
        case .forbidden:
            return answer.status == 403 ? nil : said
        case .inReach:
            if [401, 403].contains(answer.status) { return said }
            // Reading an item of the case, the caller whose work it is gets it.
            if operation.method == "GET", operation.path.contains("{"), resolved, !(200..<300).contains(answer.status) { return said }
            return nil
        case .outOfReach:
            if [401, 403].contains(answer.status) { return said }
            // An item of the case (or under one) does not exist for this caller; a list leaves the case out.
            if operation.path.contains("{") {
                return answer.status == 404 ? nil : "the case's item must not exist for this caller, \(said)"
            }
            let shown = completed.identifiers.filter { answer.text.contains($0) }
            return shown.isEmpty ? nil : "the answer shows \(shown) of a case that is not the caller's"
        }
    }

    /// The request the test sends for `operation`: the case's own items in the path (an item it does
    /// not have is made up, and then `resolved` is false), the required query parameters and
    /// headers, and the plainest body its schema allows.
    static func request(for operation: OpenAPIOperations.Operation, of completed: CompletedCase, instances: SchemaInstances) -> (path: String, body: Data?, headers: [String: String], resolved: Bool) {
        var path = operation.path
        var resolved = true
        var query: [URLQueryItem] = []
        var headers: [String: String] = [:]
        for parameter in operation.parameters {
            switch parameter.location {
            case "path":
                let value = completed.value(for: parameter.name, in: operation.path) ?? {
                    resolved = false
                    return parameter.name == "sha256" ? String(repeating: "0", count: 64) : "unknown"
                }()
                path = path.replacingOccurrences(of: "{\(parameter.name)}", with: value)
            case "query" where parameter.required:
                query.append(URLQueryItem(name: parameter.name, value: "\(instances.plain(parameter.schema))"))
            case "header" where parameter.required:
                headers[parameter.name] = UUID().uuidString.lowercased()
            default:
                break
            }
        }
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query
            path += "?" + (components.percentEncodedQuery ?? "")
        }
        var body: Data?
        if let schema = operation.body {
            body = try? JSONSerialization.data(withJSONObject: instances.plain(schema), options: [.fragmentsAllowed])
            headers["Content-Type"] = "application/json"
        }
        return (path, body, headers, resolved)
    }
}
