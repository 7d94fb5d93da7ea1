import Domain
import Foundation
import Hummingbird
import ServiceKit
import TongbanClient

/// 整改 routes: supervisors see every rectification, officers their own department's; the
/// department's officer records what it did, and a supervisor records the callback (回访) and closes it.
struct RectificationsController: Sendable {
    let workflow: RatingsWorkflow

    /// The reads of personal data that the access log records.
    static let personalData: Set<String> = ["GET /rectifications/{id}"]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("rectifications") { request, context in try await list(request, context) }
        router.get("rectifications/{id}") { _, context in try await read(context) }
        router.post("rectifications/{id}/action") { request, context in try await act(request, context) }
        router.post("rectifications/{id}/callback") { request, context in try await callBack(request, context) }
    }

    struct ActionRequest: Decodable {
        var description: String
    }

    struct CallbackRequest: Decodable {
        var summary: String
        var applicantSatisfied: Bool
    }

    /// What `?status=` filters by: a rectification's status, or overdue.
    static let statuses = Rectification.Status.allCases.map(\.rawValue) + ["overdue"]

    // MARK: GET /rectifications

    func list(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.supervisor, .officer)
        var department = request.uri.queryParameters.get("department")
        if caller.role == .officer {
            if let department, department != caller.department {
                throw Problem.forbidden("Officers see their own department's rectifications.")
            }
            department = caller.department
        }
        let status = request.uri.queryParameters.get("status")
        if let status, !Self.statuses.contains(status) {
            throw Problem.validation([FieldError(field: "status", problem: "must be one of \(Self.statuses.joined(separator: ", "))")])
        }
        let rows = try await workflow.rectifications(department: department)
        let views = rows.map(view).filter { view in
            switch status {
            case nil: true
            case "overdue": view.overdue
            case let wanted?: view.status.rawValue == wanted
            }
        }
        return try Response.json(RectificationList(rectifications: views))
    }

    // MARK: GET /rectifications/{id}

    func read(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.supervisor, .officer)
        let id = try context.parameters.require("id")
        let row = try await workflow.rectification(id, by: caller)
        return try Response.json(view(row))
    }

    /// `row` as it stands now.
    private func view(_ row: RectificationRow) -> Rectification {
        Rectification(row, calendar: workflow.settings.calendars.home, now: workflow.settings.now())
    }

    // MARK: POST /rectifications/{id}/action

    func act(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.officer)
        let id = try context.parameters.require("id")
        let body = try await request.decode(as: ActionRequest.self, context: context)
        let description = body.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(description.count) else {
            throw Problem.validation([FieldError(field: "description", problem: "must say what the department did, in 1 to 2000 characters")])
        }
        let updated = try await workflow.recordAction(description, on: id, by: caller)
        return try Response.json(view(updated))
    }

    // MARK: POST /rectifications/{id}/callback

    func callBack(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.supervisor)
        let id = try context.parameters.require("id")
        let body = try await request.decode(as: CallbackRequest.self, context: context)
        let summary = body.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(summary.count) else {
            throw Problem.validation([FieldError(field: "summary", problem: "must say what the applicant said on the callback, in 1 to 2000 characters")])
        }
        let closed = try await workflow.recordCallback(summary, applicantSatisfied: body.applicantSatisfied, on: id, by: caller)
        return try Response.json(view(closed))
    }
}
