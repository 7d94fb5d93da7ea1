import CLibPQ
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
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

/// The service's PostgreSQL answers (libpq's PQping: the server accepts connections; no
/// credentials are sent, so nothing secret can leak through this check).
public struct PostgresReadinessCheck: ReadinessCheck {
    public let name = "postgresql"
    let databaseURL: String

    public init(databaseURL: String) {
        self.databaseURL = databaseURL
    }

    public func check() async throws {
        let url = databaseURL
        // PQping blocks on the network: keep it off the cooperative pool.
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let keywords = ["dbname", "connect_timeout"]
                let values = [url, "2"]
                let status = withArrayOfCStrings(keywords) { keywordPointers in
                    withArrayOfCStrings(values) { valuePointers in
                        PQpingParams(keywordPointers, valuePointers, 1)
                    }
                }
                continuation.resume(returning: status)
            }
        }
        switch result {
        case PQPING_OK: return
        case PQPING_REJECT: throw ReadinessFailure(description: "refusing connections")
        case PQPING_NO_RESPONSE: throw ReadinessFailure(description: "no response")
        default: throw ReadinessFailure(description: "connection settings not usable")
        }
    }
}

struct ReadinessFailure: Error, CustomStringConvertible {
    var description: String
}

/// A NULL-terminated array of C strings, alive for the duration of `body`.
private func withArrayOfCStrings<Result>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> Result) -> Result {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } } + [nil])
}
