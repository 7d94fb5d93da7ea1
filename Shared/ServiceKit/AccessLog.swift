import Domain
import Foundation
public import Hummingbird
public import Logging
import Messaging
public import Postgres
import Plumbing
public import ServiceLifecycle
import TongbanClient

/// 个人信息保护法: a government system can say who read personal data. Every read by staff (any
/// role but the applicant) of a route that answers with a case, a document or a licence is
/// recorded in the owning service's own schema before the answer goes out: who (subject, role,
/// region, department), what (the path, and the case it names), when, and by which route.
/// Supervisors of the region read the log at `GET /access-log`; entries older than
/// `TONGBAN_ACCESS_LOG_RETENTION_DAYS` are deleted.
public enum AccessLog {
    /// Every service's schema has the table; ServiceKit's own migrations count from 100, clear of
    /// the services' own.
    public static let migration = PostgresMigration(version: 100, name: "access log of staff reads of personal data", sql: """
        CREATE TABLE access_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            read_at timestamptz NOT NULL DEFAULT now(),
            subject text NOT NULL,
            role text NOT NULL,
            region text,
            department text,
            route text NOT NULL,
            item text NOT NULL,
            case_number text
        );
        CREATE INDEX access_log_by_time ON access_log (read_at);
        CREATE INDEX access_log_by_case ON access_log (case_number, id DESC);
        """)

    /// The case number a path names, if any (`/cases/130100-20261207-000001/...`).
    static func caseNumber(in path: String) -> String? {
        path.firstMatch(of: /[1-9][0-9]{5}-[0-9]{8}-[0-9]{6}/).map { String($0.output) }
    }
}

/// Records staff reads of the routes in `routes` (`METHOD /template`), once the route answered
/// 2xx and before the answer leaves; a read that cannot be recorded is not served.
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = TongbanRequestContext
    let routes: Set<String>
    let database: PostgresClient

    public init(routes: Set<String>, database: PostgresClient) {
        self.routes = routes
        self.database = database
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard let principal = context.principal, principal.role != .applicant, (200..<300).contains(response.status.code) else { return response }
        let template = context.endpointPath.map { $0.hasPrefix("/") ? $0 : "/" + $0 } ?? ""
        let route = "\(request.method.rawValue) \(template)"
        guard routes.contains(route) else { return response }
        let item = request.uri.path
        _ = try await database.query("""
            INSERT INTO access_log (subject, role, region, department, route, item, case_number)
            VALUES (\(principal.subject), \(principal.role.rawValue), \(principal.region), \(principal.department), \(route), \(item), \(AccessLog.caseNumber(in: item)))
            """)
        return response
    }
}

/// GET /access-log: the service's log of staff reads, for supervisors, newest first.
public struct AccessLogController: Sendable {
    let service: ServiceName
    let database: PostgresClient
    let retentionDays: Int

    public init(service: ServiceName, database: PostgresClient, retentionDays: Int) {
        self.service = service
        self.database = database
        self.retentionDays = retentionDays
    }

    public func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("access-log") { request, context in try await list(request, context) }
    }

    func list(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        _ = try context.requirePrincipal(.supervisor)
        let query = request.uri.queryParameters
        var errors: [FieldError] = []
        let caseNumber = query.get("case")
        if let caseNumber, (try? CaseNumber(caseNumber)) == nil {
            errors.append(FieldError(field: "case", problem: "must be a case number"))
        }
        let subject = query.get("subject")
        let cursor = query.get("before").map { Int($0) ?? 0 }
        if let cursor, cursor < 1 {
            errors.append(FieldError(field: "before", problem: "must be the `next` of the previous page"))
        }
        let limit = query.get("limit").map { Int($0) ?? 0 } ?? 100
        if !(1...500).contains(limit) {
            errors.append(FieldError(field: "limit", problem: "must be a whole number from 1 to 500"))
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        let rows = try await database.query("""
            SELECT id, read_at, subject, role, region, department, route, item, case_number FROM access_log
            WHERE (\(caseNumber)::text IS NULL OR case_number = \(caseNumber))
              AND (\(subject)::text IS NULL OR subject = \(subject))
              AND (\(cursor)::bigint IS NULL OR id < \(cursor))
            ORDER BY id DESC
            LIMIT \(limit + 1)
            """).decodeRecords(AccessLogEntries.Entry.self, keys: .convertFromSnakeCase)
        let page = rows.prefix(limit)
        return try Response.json(AccessLogEntries(service: service.rawValue, retentionDays: retentionDays, entries: Array(page), next: rows.count > limit ? page.last?.id : nil))
    }
}

/// Deletes access-log entries past their retention, hourly; every instance may, the deletes agree.
public struct AccessLogRetention: Service {
    let database: PostgresClient
    let retentionDays: Int
    let logger: Logger

    public init(database: PostgresClient, retentionDays: Int, logger: Logger) {
        self.database = database
        self.retentionDays = retentionDays
        self.logger = logger
    }

    /// Deletes what is past retention now; the number deleted.
    public func purge() async throws -> Int {
        try await database.query("""
            WITH gone AS (DELETE FROM access_log WHERE read_at < now() - make_interval(days => \(retentionDays)::int) RETURNING 1)
            SELECT count(*)::bigint FROM gone
            """).decode(Int.self).first ?? 0
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await repeatUntilCancelled(idle: .seconds(3600), backoff: Backoff(first: .seconds(5), ceiling: .seconds(300)),
                                       logger: logger, failure: "could not delete expired access-log entries; retrying") {
                let deleted = try await purge()
                if deleted > 0 {
                    logger.info("deleted expired access-log entries", metadata: ["access_log.deleted": "\(deleted)", "access_log.retention_days": "\(retentionDays)"])
                }
                return false
            }
        }
    }
}
