import Foundation
import OpenAPIKit
import ServiceKit
import Testing

/// Every route a service's router really has is in Docs/openapi.yaml under that service's tag, and
/// every operation the document promises for a service is one its router has. The routes come
/// from building each service (see `ServiceRoutes`), so the document cannot fall behind the code.
/// One service at a time: each sets up a schema and role, and those set-ups queue on one lock
/// with every other test's at the start of a parallel run.
@Suite("Docs/openapi.yaml against the services' routers", .serialized)
struct RouteCoverageTests {
    /// `GET /cases/{number}` and `GET /cases/{caseNumber}` are the same route: parameter names are not compared.
    static func normalised(_ route: String) -> String {
        route.replacing(/\{[^}]*\}/, with: "{}")
    }

    /// The routes every service gets from ServiceKit, documented once under the `operations` tag.
    static let common: Set<String> = ["GET /healthz", "GET /readyz", "GET /metrics", "GET /access-log"]

    /// The document's operations by tag, as `METHOD /path`.
    static func documented() throws -> [String: Set<String>] {
        let document = try OpenAPIDocumentTests.document()
        var operations: [String: Set<String>] = [:]
        for (path, item) in document.paths {
            guard let item = item.pathItemValue else { continue }
            for endpoint in item.endpoints {
                for tag in endpoint.operation.tags ?? [] {
                    operations[tag, default: []].insert(normalised("\(endpoint.method.rawValue.uppercased()) \(path.rawValue)"))
                }
            }
        }
        return operations
    }

    static func check(_ service: ServiceName, routes: Set<String>) throws {
        let routes = Set(routes.map(normalised))
        #expect(routes.isSuperset(of: common), "\(service.rawValue)'s router lacks \(common.subtracting(routes).sorted()): was the route table read at all?")
        let documented = try documented()
        let own = documented[service.rawValue] ?? []
        let missing = routes.subtracting(common).subtracting(own)
        #expect(missing.isEmpty, "\(service.rawValue) serves \(missing.sorted()), which Docs/openapi.yaml does not document under its tag")
        let stale = own.subtracting(routes)
        #expect(stale.isEmpty, "Docs/openapi.yaml documents \(stale.sorted()) for \(service.rawValue), which its router does not have")
        #expect(documented["operations"] == common, "the operations tag documents \((documented["operations"] ?? []).sorted())")
    }

    @Test("intake's routes are documented under intake, and nothing more")
    func intake() async throws {
        try Self.check(.intake, routes: try await ServiceRoutes.intake())
    }

    @Test("approval's routes are documented under approval, and nothing more")
    func approval() async throws {
        try Self.check(.approval, routes: try await ServiceRoutes.approval())
    }

    @Test("seal's routes are documented under seal, and nothing more")
    func seal() async throws {
        try Self.check(.seal, routes: try await ServiceRoutes.seal())
    }

    @Test("evaluation's routes are documented under evaluation, and nothing more")
    func evaluation() async throws {
        try Self.check(.evaluation, routes: try await ServiceRoutes.evaluation())
    }

    @Test("relay's routes are documented under relay, and nothing more")
    func relay() async throws {
        try Self.check(.relay, routes: try await ServiceRoutes.relay())
    }
}
