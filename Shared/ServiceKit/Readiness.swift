public import Postgres
import Hummingbird

/// Something a service needs before it can do useful work — its database, its broker.
/// GET /readyz answers 200 only when every check passes, so a load balancer or an orchestrator
/// sends no traffic to an instance that would only fail it.
public protocol ReadinessCheck: Sendable {
    var name: String { get }
    /// Throws when the dependency cannot be reached; should give up within about two seconds.
    func check() async throws
}

struct ReadinessReport: ResponseEncodable, Equatable {
    var status: String
    var checks: [String: String]
}

struct ReadinessController {
    let checks: [any ReadinessCheck]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("readyz") { _, _ -> EditedResponse<ReadinessReport> in
            let results = await withTaskGroup(of: (String, String).self) { group in
                for check in checks {
                    group.addTask {
                        do {
                            try await check.check()
                            return (check.name, "pass")
                        } catch {
                            return (check.name, "fail: \(error)")
                        }
                    }
                }
                return await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
            }
            let ready = results.values.allSatisfy { $0 == "pass" }
            return EditedResponse(
                status: ready ? .ok : .serviceUnavailable,
                response: ReadinessReport(status: ready ? "pass" : "fail", checks: results)
            )
        }
    }
}

/// The service's PostgreSQL accepts connections.
public struct PostgresReadinessCheck: ReadinessCheck {
    public let name = "postgresql"
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    public func check() async throws {
        let ping = await client.ping()
        guard ping == .accepting else { throw ReadinessFailure(description: "\(ping)") }
    }
}

struct ReadinessFailure: Error, CustomStringConvertible {
    var description: String
}
