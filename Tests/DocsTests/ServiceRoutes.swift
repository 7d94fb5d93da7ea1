import Foundation
import Logging
import Postgres
import ServiceKit
import ServiceTestSupport
import Synchronization

/// The routes a service really serves, from its own router: the service is built exactly as its
/// executable builds it (on a test region's PostgreSQL and Tansu, since building migrates its
/// schema), and `buildServiceApplication` logs Hummingbird's `Router.routes` at debug level at
/// start-up. Building the real application — not a hand list, not a second copy of its route
/// wiring — means a route added to any controller shows up here.
enum ServiceRoutes {
    static func capture(
        _ service: ServiceName,
        environment: [String: String] = [:],
        build: @Sendable (ServiceRuntime) async throws -> Void
    ) async throws -> Set<String> {
        let region = try TestRegion()
        let lines = Mutex<[String]>([])
        let sink = LogSink { line in lines.withLock { $0.append(line) } }
        var logger = Logger(label: "tongban.\(service.rawValue)") { JSONLogHandler(label: $0, sink: sink) }
        logger.logLevel = .debug
        let runtime = try await region.runtime(for: service, environment: environment, logger: logger)
        defer { runtime.database.close() }
        try await build(runtime)
        var routes: Set<String> = []
        for line in lines.withLock({ $0 }) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["message"] as? String == "routes",
                  let table = object["http.routes"] as? [String]
            else { continue }
            routes.formUnion(table)
        }
        return routes
    }
}
