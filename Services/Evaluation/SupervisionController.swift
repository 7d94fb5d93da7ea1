import Domain
import Foundation
import Hummingbird
import Messaging
import ServiceKit
import TongbanClient

/// 电子监察 routes, for supervisors only: the overview the dashboard shows (lights by department,
/// the overdue list, the rates), a case's clocks, the alerts raised, and the reports.
struct SupervisionController: Sendable {
    let workflow: EvaluationWorkflow
    var settings: EvaluationSettings { workflow.settings }

    /// The reads of personal data that the access log records.
    static let personalData: Set<String> = ["GET /supervision/cases/{number}"]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("supervision/overview") { request, context in try await overview(request, context) }
        router.get("supervision/cases/{number}") { _, context in try await caseClocks(context) }
        router.get("supervision/alerts") { request, context in try await alerts(request, context) }
        router.get("reports") { request, context in try await report(request, context) }
    }

    // MARK: GET /supervision/overview

    func overview(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        _ = try context.requirePrincipal(.supervisor)
        let now = settings.now()
        let period = try ReportPeriod(from: request.uri.queryParameters.get("from"), to: request.uri.queryParameters.get("to"), calendar: settings.calendars.home, now: now)
        let (departments, overdue, unclosed, facts) = try await workflow.overview(of: period)
        let openRectifications = unclosed.map { Rectification($0, calendar: settings.calendars.home, now: settings.now()) }.filter(\.overdue)
        return try Response.json(SupervisionOverview(
            generatedAt: now,
            departments: departments.map { DepartmentLights($0) },
            overdue: overdue.map { TaskClock($0) },
            overdueRectifications: openRectifications,
            rates: facts.report(from: period.from, to: period.to, groupBy: .department)
        ))
    }

    // MARK: GET /supervision/cases/{number}

    func caseClocks(_ context: TongbanRequestContext) async throws -> Response {
        _ = try context.requirePrincipal(.supervisor)
        let number = try context.parameters.require("number")
        let (times, rows, alerts) = try await workflow.caseClocks(number)
        let (acceptedAt, completedAt, withdrawnAt) = times
        let tasks = rows.map { TaskClock($0) }
        return try Response.json(CaseClocks(
            caseNumber: number,
            status: withdrawnAt != nil ? .withdrawn : completedAt != nil ? .completed : .open,
            acceptedAt: acceptedAt,
            completedAt: completedAt,
            light: tasks.map(\.light).max() ?? .green,
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
        let alerts = try await workflow.raisedAlerts(department: department, light: light)
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
        let facts = try await workflow.reportFacts(of: period)
        return try Response.json(facts.report(from: period.from, to: period.to, groupBy: grouping))
    }
}

extension DepartmentLights {
    /// The counts as the overview shows them.
    init(_ row: EvaluationRepository.DepartmentLightsRow) {
        self.init(
            department: row.department, departmentName: row.departmentName, open: row.open, green: row.green, yellow: row.yellow,
            red: row.red, legalOverdue: row.legalOverdue, suspended: row.suspended
        )
    }
}

extension TaskClock {
    /// The clock as supervisors see it; `status` says why it runs or stopped.
    init(_ row: EvaluationRepository.TaskClockRow) {
        self.init(
            taskID: row.taskId, caseNumber: row.caseNumber, matterCode: row.matterCode, matterName: row.matterName,
            department: row.department, departmentName: row.departmentName, mode: row.mode,
            status: row.decidedAt != nil ? .decided : row.withdrawnAt != nil ? .withdrawn : row.suspended ? .suspended : .open,
            // The column holds only lights supervision wrote, green until the first reading.
            light: Light(rawValue: row.light) ?? .green, pastLegalLimit: row.pastLegalLimit, promisedLimitDays: row.promisedLimitDays, legalLimitDays: row.legalLimitDays,
            promisedDeadline: row.promisedDeadline, legalDeadline: row.legalDeadline, remainingPromisedDays: row.remainingPromisedDays,
            checkedAt: row.checkedAt, decidedAt: row.decidedAt, decidedOnTime: row.decidedOnTime
        )
    }
}
