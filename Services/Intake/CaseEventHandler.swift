import Domain
import Foundation
import Messaging
import Postgres
import TongbanClient

/// Keeps each case's status timeline from what approval and seal publish. Each event arrives
/// once (the consumer's inbox) in its own transaction; the case's status is recomputed from the
/// facts, so events of different topics may arrive in any order.
struct CaseEventHandler: Sendable {
    let repository: IntakeRepository
    let catalogue: MatterCatalogue

    static let topics: [Topic] = [.caseReceived, .tasksOpened, .supplementRequested, .taskResumed, .taskDecided, .bundleDecided, .decisionRevoked, .licencesIssued, .partnerUpdate]

    func apply(_ envelope: Envelope, on connection: PostgresConnection) async throws {
        switch envelope.type {
        case Topic.caseReceived.eventType: try await received(envelope.decode(CaseSubmitted.self), on: connection)
        case Topic.tasksOpened.eventType: try await apply(envelope.decode(TasksOpened.self), on: connection)
        case Topic.supplementRequested.eventType: try await apply(envelope.decode(SupplementRequested.self), on: connection)
        case Topic.taskResumed.eventType: try await apply(envelope.decode(TaskResumed.self), on: connection)
        case Topic.taskDecided.eventType: try await apply(envelope.decode(TaskDecided.self), on: connection)
        case Topic.bundleDecided.eventType: try await apply(envelope.decode(BundleDecided.self), on: connection)
        case Topic.decisionRevoked.eventType: try await apply(envelope.decode(DecisionRevoked.self), on: connection)
        case Topic.licencesIssued.eventType: try await apply(envelope.decode(LicencesIssued.self), on: connection)
        case Topic.partnerUpdate.eventType: try await apply(envelope.decode(PartnerUpdate.self), on: connection)
        default: throw PermanentEventFailure("intake does not apply events of type \(envelope.type)")
        }
    }

    /// The case, locked for the change; a case intake never registered is a permanent failure
    /// (the event goes to the dead-letter topic with the reason).
    func requireCase(_ number: String, handedOverFrom origin: CaseSubmitted.OriginCase? = nil, on connection: PostgresConnection) async throws -> String {
        if try await repository.lockCase(number, on: connection) != nil { return number }
        // Results of a case this window handed over to a partner come back under the origin's number.
        if let origin, try await repository.lockCase(origin.caseNumber, on: connection) != nil { return origin.caseNumber }
        throw PermanentEventFailure("intake has no case \(number)")
    }

    func departmentName(_ code: String, region: String) -> String {
        catalogue.departments.first { $0.code == code && $0.region == region }?.name ?? code
    }

    /// A case a partner region handed over (异地代收代办, 多地联办): kept so that its timeline is
    /// tracked here too, and approval's events about it have a case to land on. Its materials
    /// stay with the origin window.
    func received(_ event: CaseSubmitted, on connection: PostgresConnection) async throws {
        guard let origin = event.handedOverFrom else {
            throw PermanentEventFailure("case \(event.caseNumber) arrived from the relay without handedOverFrom")
        }
        if let existing = try await repository.submission(event.caseNumber, on: connection) {
            guard existing.handedOverFrom == origin else {
                throw PermanentEventFailure("case \(event.caseNumber) is already a different case here")
            }
            return
        }
        let status: CaseStatus = event.deficiencies.isEmpty ? .accepted : .acceptedWithDeficiency
        try await repository.insertCase(event, site: nil, registeredBy: origin.region, role: "partner", status: status, on: connection)
        try await repository.addTimeline(
            event.caseNumber, at: event.acceptedAt, kind: "handed-over",
            summary: "Handed over by region \(origin.region) (its case \(origin.caseNumber)): \(event.bundle?.name ?? event.matters.map(\.name).joined(separator: "、")).",
            on: connection
        )
    }

    func apply(_ event: TasksOpened, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, on: connection)
        for task in event.tasks {
            try await repository.openTask(task, caseNumber: number, region: event.region, on: connection)
        }
        let names = event.tasks.map { "\($0.departmentName)（\($0.matterName)）" }.joined(separator: "、")
        try await repository.addTimeline(number, at: event.acceptedAt, kind: "tasks-opened", summary: "Under review in parallel (并联审批) by \(names).", on: connection)
    }

    func apply(_ event: SupplementRequested, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, on: connection)
        try await repository.insertSupplementRequest(event, caseNumber: number, on: connection)
        let items = event.items.map(\.name).joined(separator: "、")
        let department = try await taskDepartmentName(event.taskID, fallback: departmentName(event.department, region: catalogue.region), on: connection)
        try await repository.addTimeline(number, at: event.requestedAt, kind: "supplement-requested", summary: "\(department) asks for (补正): \(items). Reason: \(event.reason)", on: connection)
    }

    func apply(_ event: TaskResumed, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, on: connection)
        try await repository.markAnswered([event.requestID], at: event.resumedAt, on: connection)
        try await repository.resumeTask(event.taskID, deadlines: event.deadlines, on: connection)
        let department = try await taskDepartmentName(event.taskID, fallback: "The department", on: connection)
        let promised = Envelope.formatTime(event.deadlines.promisedDeadline)
        try await repository.addTimeline(number, at: event.resumedAt, kind: "task-resumed", summary: "\(department) resumed the review; promised by \(promised).", on: connection)
    }

    func apply(_ event: TaskDecided, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, on: connection)
        try await repository.recordDecision(event.decision, caseNumber: number, region: event.region, on: connection)
        try await repository.addTimeline(number, at: event.decision.decidedAt, kind: "task-decided", summary: summary(of: event.decision), on: connection)
    }

    func apply(_ event: BundleDecided, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, handedOverFrom: event.handedOverFrom, on: connection)
        for decision in event.decisions {
            try await repository.recordDecision(decision, caseNumber: number, region: event.region, on: connection)
        }
        try await repository.markDecided(number, at: event.decidedAt, on: connection)
        let approved = event.decisions.filter { $0.outcome == .approved }.count
        let rejected = event.decisions.count - approved
        try await repository.addTimeline(
            number, at: event.decidedAt, kind: "bundle-decided",
            summary: "Every matter decided (办结): \(approved) approved, \(rejected) rejected\(event.onTime ? ", within the promised limits" : "; not all within the promised limits").",
            on: connection
        )
    }

    func apply(_ event: DecisionRevoked, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, on: connection)
        try await repository.markTaskRevoked(event.taskID, on: connection)
        let department = try await taskDepartmentName(event.taskID, fallback: departmentName(event.department, region: catalogue.region), on: connection)
        try await repository.addTimeline(
            number, at: event.revokedAt, kind: "decision-revoked",
            summary: "\(department) revoked the approval of \(matterName(event.matterCode)): \(event.reason) (\(event.legalBasis)).",
            on: connection
        )
    }

    func apply(_ event: LicencesIssued, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, handedOverFrom: event.handedOverFrom, on: connection)
        try await repository.addLicences(event.licences, refused: event.refused, issuedAt: event.issuedAt, to: number, on: connection)
        let licences = event.licences.map { "\($0.kind.name) \($0.licenceNumber)" }.joined(separator: "、")
        try await repository.addTimeline(
            number, at: event.issuedAt, kind: "licences-issued",
            summary: event.licences.isEmpty ? "No licence issued: every matter was refused." : "Licences issued together (统一出证): \(licences).",
            on: connection
        )
    }

    /// A partner region reported on a case this window handed over (异地代收代办): on the timeline,
    /// and its licences join the case's. Its part of the case is decided, or done, by its word; the
    /// case is done when every part is (多地联办: the home region's events decide the home part).
    func apply(_ event: PartnerUpdate, on connection: PostgresConnection) async throws {
        let number = try await requireCase(event.caseNumber, on: connection)
        if event.status == .supplementRequested, let requestID = event.requestID, let matter = event.matters.first {
            // 补正 across regions: the applicant answers here, at the window or online, like a
            // request of this region's departments; the answer goes back through the relay.
            try await repository.insertSupplementRequest(SupplementRequested(
                caseNumber: number, requestID: requestID, taskID: "\(event.partnerRegion):\(matter.matterCode)", matterCode: matter.matterCode,
                department: matter.department ?? "", items: event.supplementItems, reason: event.note ?? "", requestedAt: event.occurredAt
            ), caseNumber: number, partnerRegion: event.partnerRegion, on: connection)
        }
        if event.kind == .result {
            try await repository.addLicences(event.licences, refused: event.refused, issuedAt: nil, to: number, on: connection)
        }
        if event.status == .decided || event.kind == .result {
            try await repository.markPartnerPart(number, region: event.partnerRegion, at: event.occurredAt, completed: event.kind == .result, on: connection)
        }
        var details: [String] = []
        let matters = event.matters.map { matter in
            [matter.matterName ?? matter.matterCode, matter.outcome?.rawValue, matter.legalBasis].compactMap { $0 }.joined(separator: " ")
        }
        if !matters.isEmpty { details.append(matters.joined(separator: "; ")) }
        if !event.supplementItems.isEmpty { details.append("asks for " + event.supplementItems.map(\.name).joined(separator: "、")) }
        if event.status == .supplementRequested, let deadline = event.matters.first?.promisedDeadline {
            // The partner's working days: its clock stands still until the answer arrives there.
            details.append("its clock stands still until the materials arrive; promised by \(Envelope.formatTime(deadline)) as of the request")
        }
        if !event.licences.isEmpty { details.append("licences " + event.licences.map { "\($0.kind.name) \($0.licenceNumber)" }.joined(separator: "、")) }
        if let note = event.note { details.append(note) }
        let summary = "\(event.partnerName) (\(event.partnerRegion)): \(event.status.rawValue)" + (details.isEmpty ? "." : " — " + details.joined(separator: "; ") + ".")
        try await repository.addTimeline(number, at: event.occurredAt, kind: "partner-update", summary: summary, on: connection)
    }

    func summary(of decision: MatterDecision) -> String {
        switch decision.outcome {
        case .approved:
            return "\(decision.departmentName) approved \(decision.matterName)\(decision.onTime ? "" : " (after the promised limit)")."
        case .rejected:
            return "\(decision.departmentName) rejected \(decision.matterName): \(decision.legalBasis ?? "no legal basis given")."
        }
    }

    func matterName(_ code: String) -> String {
        catalogue.matter(code)?.name ?? code
    }

    func taskDepartmentName(_ taskID: String, fallback: String, on connection: PostgresConnection) async throws -> String {
        try await repository.taskDepartmentName(taskID, on: connection) ?? fallback
    }
}
