import Foundation
import Hummingbird
import Postgres
import ServiceKit

/// 整改 routes: supervisors see every rectification, officers their own department's; the
/// department's officer records what it did, and a supervisor records the callback (回访) and closes it.
struct RectificationsController: Sendable {
    let database: PostgresClient
    let store: RectificationStore

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

    struct RectificationList: Encodable {
        var rectifications: [RectificationView]
    }

    static let statuses = ["open", "acted", "closed", "overdue"]

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
        let rows = try await database.query("""
            SELECT \(unescaped: RectificationStore.columns) FROM rectifications
            WHERE (\(department)::text IS NULL OR department = \(department))
            ORDER BY due_at, rectification_id
            """).decodeRecords(RectificationStore.Row.self, keys: .convertFromSnakeCase)
        let views = rows.map(store.view).filter { view in
            switch status {
            case nil: true
            case "overdue": view.overdue
            case let wanted?: view.status == wanted
            }
        }
        return try Response.json(RectificationList(rectifications: views))
    }

    // MARK: GET /rectifications/{id}

    func read(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.supervisor, .officer)
        let id = try context.parameters.require("id")
        let row = try await database.withConnection { connection in
            try await accessible(id, caller: caller, lock: false, on: connection)
        }
        return try Response.json(store.view(row))
    }

    /// The rectification, if `caller` may see it; another department's answers 404 to an officer.
    private func accessible(_ id: String, caller: Principal, lock: Bool, on connection: PostgresConnection) async throws -> RectificationStore.Row {
        let rows = try await connection.query("""
            SELECT \(unescaped: RectificationStore.columns) FROM rectifications WHERE rectification_id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")
            """).decodeRecords(RectificationStore.Row.self, keys: .convertFromSnakeCase)
        guard let row = rows.first, caller.role == .supervisor || caller.department == row.department else {
            throw Problem.notFound("No such rectification.")
        }
        return row
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
        let now = store.settings.now()
        let view = try await database.withTransaction { connection in
            let row = try await accessible(id, caller: caller, lock: true, on: connection)
            try caller.requireOwnDepartment(row.department)
            guard row.closedAt == nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The rectification is closed", detail: "Rectification \(id) was closed after its callback.")
            }
            guard row.actedAt == nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The action was recorded already", detail: "Rectification \(id) has its action; the supervisor's callback comes next.")
            }
            let updated = try await connection.query("""
                UPDATE rectifications SET action = \(description), acted_by = \(caller.subject), acted_at = \(now)
                WHERE rectification_id = \(id)
                RETURNING \(unescaped: RectificationStore.columns)
                """).decodeRecords(RectificationStore.Row.self, keys: .convertFromSnakeCase)
            return store.view(updated[0])
        }
        return try Response.json(view)
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
        let now = store.settings.now()
        let view = try await database.withTransaction { connection in
            let row = try await accessible(id, caller: caller, lock: true, on: connection)
            guard row.closedAt == nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The rectification is closed", detail: "Rectification \(id) was closed already.")
            }
            guard row.actedAt != nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The department has not acted yet", detail: "Rectification \(id) waits for \(row.departmentName) to record what it did; the callback follows that.")
            }
            let updated = try await connection.query("""
                UPDATE rectifications SET callback = \(summary), applicant_satisfied = \(body.applicantSatisfied),
                    callback_by = \(caller.subject), closed_at = \(now)
                WHERE rectification_id = \(id)
                RETURNING \(unescaped: RectificationStore.columns)
                """).decodeRecords(RectificationStore.Row.self, keys: .convertFromSnakeCase)
            return store.view(updated[0])
        }
        return try Response.json(view)
    }
}
