import Domain
import Foundation
import Hummingbird
import Messaging
import Postgres
import ServiceKit
import TongbanClient

/// The officers' HTTP API (Docs/openapi.yaml, approval): their department's tasks, claiming, 补正,
/// steps before the decision, approval, rejection, and the verification of 告知承诺.
struct TaskController {
    let workflow: ApprovalWorkflow

    /// The reads of personal data that the access log records.
    static let personalData: Set<String> = ["GET /tasks", "GET /tasks/{id}", "GET /tasks/{id}/materials/{sha256}"]

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("tasks", use: list)
        router.get("tasks/{id}", use: show)
        router.get("tasks/{id}/materials/{sha256}", use: material)
        router.post("tasks/{id}/claim", use: claim)
        router.post("tasks/{id}/supplement-requests", use: requestSupplement)
        router.post("tasks/{id}/inspections", use: recordInspection)
        router.post("tasks/{id}/approval", use: approve)
        router.post("tasks/{id}/rejection", use: reject)
        router.post("tasks/{id}/verification", use: verify)
    }

    static let defaultLimit = 100
    static let maximumLimit = 500

    @Sendable func list(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<DepartmentTaskList> {
        let officer = try context.requirePrincipal(.officer)
        let query = request.uri.queryParameters
        var errors: [FieldError] = []
        var states = DepartmentTask.State.awaitingWork
        if let text = query.get("state") {
            let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = names.compactMap(DepartmentTask.State.init(rawValue:))
            if parsed.count == names.count, !parsed.isEmpty {
                states = parsed
            } else {
                errors.append(FieldError(field: "state", problem: "must be one or more of \(DepartmentTask.State.allCases.map(\.rawValue).joined(separator: ", ")), separated by commas"))
            }
        }
        var dueBefore: Date?
        if let text = query.get("dueBefore") {
            dueBefore = Envelope.parseTime(text)
            if dueBefore == nil { errors.append(FieldError(field: "dueBefore", problem: "must be an RFC 3339 time, e.g. 2026-12-01T00:00:00+08:00")) }
        }
        var limit = Self.defaultLimit
        if let text = query.get("limit") {
            if let value = Int(text), (1...Self.maximumLimit).contains(value) {
                limit = value
            } else {
                errors.append(FieldError(field: "limit", problem: "must be a whole number from 1 to \(Self.maximumLimit)"))
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        let (tasks, submissions) = try await workflow.list(for: officer, states: states, dueBefore: dueBefore, limit: limit)
        let now = workflow.now()
        return Encoded(DepartmentTaskList(tasks: tasks.map { $0.view(submission: submissions[$0.caseNumber], workflow: workflow, now: now) }))
    }

    @Sendable func show(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<TongbanClient.DepartmentTask> {
        let officer = try context.requirePrincipal(.officer)
        let (task, approvalCase, siblings) = try await workflow.view(task: try taskID(context), by: officer)
        return Encoded(task.detailedView(approvalCase, siblings: siblings, workflow: workflow, now: workflow.now()))
    }

    /// A material of a case a partner region handed over (跨省通办): the officers of its tasks
    /// read it here, in this region, as the partner signed it. Home cases' materials are intake's.
    @Sendable func material(_ request: Request, context: TongbanRequestContext) async throws -> Response {
        let officer = try context.requirePrincipal(.officer)
        let sha256 = try context.parameters.require("sha256")
        let (reference, content) = try await workflow.material(sha256, task: try taskID(context), by: officer)
        guard let content else {
            throw Problem.conflict("The material is still on its way from the relay; it is complete in this region shortly.")
        }
        return Response.material(content, mediaType: reference.mediaType, sha256: reference.sha256)
    }

    @Sendable func claim(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<TongbanClient.DepartmentTask> {
        let officer = try context.requirePrincipal(.officer)
        let (task, _) = try await workflow.change(task: try taskID(context), by: officer) { task, now throws(TaskRefusal) in
            try task.claim(by: officer.subject, at: now)
        }
        return Encoded(task.view(submission: nil, workflow: workflow, now: workflow.now()))
    }

    struct SupplementRequestBody: Decodable {
        var items: [SupplementRequested.Item]
        var reason: String
    }

    @Sendable func requestSupplement(_ request: Request, context: TongbanRequestContext) async throws -> EditedResponse<Encoded<TongbanClient.DepartmentTask.SupplementRequest>> {
        let officer = try context.requirePrincipal(.officer)
        let id = try taskID(context)
        let body = try await request.decode(as: SupplementRequestBody.self, context: context)
        let (_, supplement) = try await workflow.change(task: id, by: officer) { task, now throws(TaskRefusal) in
            try task.requestSupplement(body.items, reason: body.reason.trimmingCharacters(in: .whitespacesAndNewlines), id: UUID(), by: officer.subject, at: now)
        } events: { task, supplement, _, connection in
            try await workflow.publish(SupplementRequested(
                caseNumber: task.caseNumber,
                requestID: supplement.id.uuidString.lowercased(),
                taskID: task.id.uuidString.lowercased(),
                matterCode: task.matter.code,
                department: task.department,
                items: supplement.items,
                reason: supplement.reason,
                requestedAt: supplement.requestedAt
            ), to: .supplementRequested, key: task.caseNumber, on: connection)
        }
        return EditedResponse(
            status: .created,
            headers: [.location: "/tasks/\(id.uuidString.lowercased())"],
            response: Encoded(supplement.view)
        )
    }

    struct InspectionBody: Decodable {
        var step: String
        var result: DepartmentTask.StepRecord.Result
        var findings: String
    }

    @Sendable func recordInspection(_ request: Request, context: TongbanRequestContext) async throws -> EditedResponse<Encoded<TongbanClient.DepartmentTask.Step>> {
        let officer = try context.requirePrincipal(.officer)
        let id = try taskID(context)
        let body = try await request.decode(as: InspectionBody.self, context: context)
        let (_, step) = try await workflow.change(task: id, by: officer) { task, now throws(TaskRefusal) in
            try task.recordStep(body.step, result: body.result, findings: body.findings.trimmingCharacters(in: .whitespacesAndNewlines), by: officer.subject, at: now)
        }
        return EditedResponse(status: .created, headers: [.location: "/tasks/\(id.uuidString.lowercased())"], response: Encoded(step.view))
    }

    struct ApprovalBody: Decodable {
        var legalBasis: String?
        var comment: String?
    }

    @Sendable func approve(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<TongbanClient.DepartmentTask> {
        let officer = try context.requirePrincipal(.officer)
        let id = try taskID(context)
        let body = try await request.decode(as: ApprovalBody.self, context: context)
        let (task, _) = try await workflow.change(task: id, by: officer, { task, now throws(TaskRefusal) in
            try task.approve(legalBasis: body.legalBasis, comment: body.comment, by: officer.subject, at: now, calendar: workflow.calendar)
        }, events: publishDecision)
        return Encoded(task.view(submission: nil, workflow: workflow, now: workflow.now()))
    }

    struct RejectionBody: Decodable {
        var legalBasis: String?
        var reason: String?
    }

    @Sendable func reject(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<TongbanClient.DepartmentTask> {
        let officer = try context.requirePrincipal(.officer)
        let id = try taskID(context)
        let body = try await request.decode(as: RejectionBody.self, context: context)
        let (task, _) = try await workflow.change(task: id, by: officer, { task, now throws(TaskRefusal) in
            try task.reject(legalBasis: body.legalBasis, reason: body.reason, by: officer.subject, at: now, calendar: workflow.calendar)
        }, events: publishDecision)
        return Encoded(task.view(submission: nil, workflow: workflow, now: workflow.now()))
    }

    struct VerificationBody: Decodable {
        var passed: Bool
        var findings: String?
        var legalBasis: String?
    }

    @Sendable func verify(_ request: Request, context: TongbanRequestContext) async throws -> Encoded<TongbanClient.DepartmentTask> {
        let officer = try context.requirePrincipal(.officer)
        let id = try taskID(context)
        let body = try await request.decode(as: VerificationBody.self, context: context)
        let (task, _) = try await workflow.change(task: id, by: officer) { task, now throws(TaskRefusal) in
            try task.recordVerification(passed: body.passed, findings: body.findings, legalBasis: body.legalBasis, by: officer.subject, at: now)
        } events: { task, _, now, connection in
            guard task.state == .revoked, let verification = task.verification else { return }
            try await workflow.publish(DecisionRevoked(
                caseNumber: task.caseNumber,
                taskID: task.id.uuidString.lowercased(),
                matterCode: task.matter.code,
                department: task.department,
                reason: "The verification of the applicant's commitment (告知承诺) failed: \(verification.findings ?? "")",
                legalBasis: verification.legalBasis ?? "",
                revokedBy: officer.subject,
                revokedAt: now
            ), to: .decisionRevoked, key: task.caseNumber, on: connection)
        }
        return Encoded(task.view(submission: nil, workflow: workflow, now: workflow.now()))
    }

    private func publishDecision(_ task: DepartmentTask, _: Void, _: Date, _ connection: PostgresConnection) async throws {
        guard let decision = task.matterDecision(workflow.calendar) else { return }
        try await workflow.publish(TaskDecided(caseNumber: task.caseNumber, region: workflow.homeRegion, decision: decision), to: .taskDecided, key: task.caseNumber, on: connection)
    }

    /// The task id from the path; anything that is not a task id is a task that does not exist.
    private func taskID(_ context: TongbanRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw Problem.notFound("No such task.")
        }
        return id
    }
}
