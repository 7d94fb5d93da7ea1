import Domain
import Foundation
import Hummingbird
import Messaging
import Postgres
import ServiceKit

/// 电子监察 routes, for supervisors only: the overview the dashboard shows (lights by department,
/// the overdue list, the rates), a case's clocks, the alerts raised, and the reports.
struct SupervisionController: Sendable {
    let database: PostgresClient
    let settings: EvaluationSettings
    let rectifications: RectificationStore

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("supervision/overview") { request, context in try await overview(request, context) }
        router.get("supervision/cases/{number}") { _, context in try await caseClocks(context) }
        router.get("supervision/alerts") { request, context in try await alerts(request, context) }
        router.get("reports") { request, context in try await report(request, context) }
    }

    struct DepartmentLights: Codable, Sendable, Equatable {
        var department: String
        var departmentName: String
        var open: Int
        var green: Int
        var yellow: Int
        var red: Int
        var legalOverdue: Int
        var suspended: Int
    }

    struct TaskClock: Codable, Sendable, Equatable {
        var taskID: String
        var caseNumber: String
        var matterCode: String
        var matterName: String
        var department: String
        var departmentName: String
        var mode: String
        /// open, suspended, decided or withdrawn.
        var status: String
        var light: String
        var pastLegalLimit: Bool
        var promisedLimitDays: Int
        var legalLimitDays: Int
        var promisedDeadline: Date?
        var legalDeadline: Date?
        /// Working days left of the promised limit when supervision last read the clock.
        var remainingPromisedDays: Double?
        var checkedAt: Date?
        var decidedAt: Date?
        var decidedOnTime: Bool?
    }

    struct Overview: Codable, Sendable {
        var generatedAt: Date
        var departments: [DepartmentLights]
        var overdue: [TaskClock]
        var overdueRectifications: [RectificationView]
        var rates: Report
    }

    struct CaseClocks: Codable, Sendable {
        var caseNumber: String
        /// open, completed or withdrawn.
        var status: String
        var acceptedAt: Date?
        var completedAt: Date?
        /// The worst light among its tasks.
        var light: String
        var tasks: [TaskClock]
        var alerts: [AlertRaised]
    }

    struct AlertList: Codable, Sendable {
        var alerts: [AlertRaised]
    }

    private struct TaskRow: Decodable {
        var taskId: String
        var caseNumber: String
        var matterCode: String
        var matterName: String
        var department: String
        var departmentName: String
        var mode: String
        var light: String
        var pastLegalLimit: Bool
        var suspended: Bool
        var promisedLimitDays: Int
        var legalLimitDays: Int
        var promisedDeadline: Date?
        var legalDeadline: Date?
        var remainingPromisedDays: Double?
        var checkedAt: Date?
        var decidedAt: Date?
        var decidedOnTime: Bool?
        var withdrawnAt: Date?

        var clock: TaskClock {
            TaskClock(
                taskID: taskId, caseNumber: caseNumber, matterCode: matterCode, matterName: matterName,
                department: department, departmentName: departmentName, mode: mode,
                status: decidedAt != nil ? "decided" : withdrawnAt != nil ? "withdrawn" : suspended ? "suspended" : "open",
                light: light, pastLegalLimit: pastLegalLimit, promisedLimitDays: promisedLimitDays, legalLimitDays: legalLimitDays,
                promisedDeadline: promisedDeadline, legalDeadline: legalDeadline, remainingPromisedDays: remainingPromisedDays,
                checkedAt: checkedAt, decidedAt: decidedAt, decidedOnTime: decidedOnTime
            )
        }
    }

    static let taskColumns = """
        task_id, case_number, matter_code, matter_name, department, department_name, mode, light, past_legal_limit, suspended,
        promised_limit_days, legal_limit_days, promised_deadline, legal_deadline, remaining_promised_days, checked_at,
        decided_at, decided_on_time, withdrawn_at
        """

    // MARK: GET /supervision/overview

    func overview(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        _ = try context.requirePrincipal(.supervisor)
        let now = settings.now()
        let period = try ReportPeriod(from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"), calendar: settings.calendars.home, now: now)
        let departments = try await database.query("""
            SELECT department, min(department_name), count(*),
                   count(*) FILTER (WHERE light = 'green'), count(*) FILTER (WHERE light = 'yellow'), count(*) FILTER (WHERE light = 'red'),
                   count(*) FILTER (WHERE past_legal_limit), count(*) FILTER (WHERE suspended)
            FROM tasks WHERE accepted_at IS NOT NULL AND decided_at IS NULL AND withdrawn_at IS NULL
            GROUP BY department ORDER BY department
            """).decode((String, String, Int, Int, Int, Int, Int, Int).self).map {
            DepartmentLights(department: $0.0, departmentName: $0.1, open: $0.2, green: $0.3, yellow: $0.4, red: $0.5, legalOverdue: $0.6, suspended: $0.7)
        }
        let overdue = try await database.query("""
            SELECT \(unescaped: Self.taskColumns) FROM tasks
            WHERE light = 'red' AND accepted_at IS NOT NULL AND decided_at IS NULL AND withdrawn_at IS NULL
            ORDER BY promised_deadline, task_id LIMIT 500
            """).decodeRecords(TaskRow.self, keys: .convertFromSnakeCase).map(\.clock)
        let openRectifications = try await database.query("""
            SELECT \(unescaped: RectificationStore.columns) FROM rectifications WHERE closed_at IS NULL ORDER BY due_at
            """).decodeRecords(RectificationStore.Row.self, keys: .convertFromSnakeCase).map(rectifications.view).filter(\.overdue)
        let facts = try await ReportFacts.read(from: period.start, to: period.end, on: database)
        return try Response.json(Overview(
            generatedAt: now,
            departments: departments,
            overdue: overdue,
            overdueRectifications: openRectifications,
            rates: facts.report(from: period.from, to: period.to, groupBy: .department)
        ))
    }

    // MARK: GET /supervision/cases/{number}

    func caseClocks(_ context: TongbanRequestContext) async throws -> Response {
        _ = try context.requirePrincipal(.supervisor)
        let number = try context.parameters.require("number")
        let cases = try await database.query("""
            SELECT accepted_at, completed_at, withdrawn_at FROM cases WHERE case_number = \(number)
            """).decode((Date?, Date?, Date?).self)
        guard let found = cases.first else {
            throw Problem.notFound("Supervision has no case \(number).")
        }
        let (acceptedAt, completedAt, withdrawnAt) = found
        let tasks = try await database.query("""
            SELECT \(unescaped: Self.taskColumns) FROM tasks WHERE case_number = \(number) ORDER BY task_id
            """).decodeRecords(TaskRow.self, keys: .convertFromSnakeCase).map(\.clock)
        let alerts = try await database.query("""
            SELECT alert FROM alerts WHERE case_number = \(number) ORDER BY raised_at, alert_id
            """).decode(PostgresJSONB<AlertRaised>.self).map(\.value)
        let light = tasks.compactMap { Light(rawValue: $0.light) }.max() ?? .green
        return try Response.json(CaseClocks(
            caseNumber: number,
            status: withdrawnAt != nil ? "withdrawn" : completedAt != nil ? "completed" : "open",
            acceptedAt: acceptedAt,
            completedAt: completedAt,
            light: light.rawValue,
            tasks: tasks,
            alerts: alerts
        ))
    }

    // MARK: GET /supervision/alerts

    func alerts(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        _ = try context.requirePrincipal(.supervisor)
        let department = request.uri.queryParameters.get("department")
        let light = request.uri.queryParameters.get("light")
        if let light, AlertRaised.Light(rawValue: light) == nil {
            throw Problem.validation([FieldError(field: "light", problem: "must be one of \(AlertRaised.Light.allCases.map(\.rawValue).joined(separator: ", "))")])
        }
        let alerts = try await database.query("""
            SELECT alert FROM alerts
            WHERE (\(department)::text IS NULL OR department = \(department)) AND (\(light)::text IS NULL OR light = \(light))
            ORDER BY raised_at DESC, alert_id LIMIT 1000
            """).decode(PostgresJSONB<AlertRaised>.self).map(\.value)
        return try Response.json(AlertList(alerts: alerts))
    }

    // MARK: GET /reports

    func report(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        _ = try context.requirePrincipal(.supervisor)
        let query = request.uri.queryParameters
        let period = try ReportPeriod(from: query.get("from"), to: query.get("to"), calendar: settings.calendars.home, now: settings.now())
        guard let grouping = ReportGrouping(rawValue: query.get("groupBy") ?? "department") else {
            throw Problem.validation([FieldError(field: "groupBy", problem: "must be department or matter")])
        }
        let facts = try await ReportFacts.read(from: period.start, to: period.end, on: database)
        return try Response.json(facts.report(from: period.from, to: period.to, groupBy: grouping))
    }
}
