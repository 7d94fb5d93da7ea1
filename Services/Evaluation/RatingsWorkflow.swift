import Domain
import Foundation
import HTTPTypes
import Messaging
import Postgres
import ServiceKit
import TongbanClient

/// A case as its applicant, or a supervisor, sees it for 好差评: whose it is and how it stands, its
/// rating, and the rectifications a bad one opened.
struct RatedCase: Sendable {
    var caseNumber: String
    var standing: EvaluationRepository.CaseRow
    var rating: EvaluationRepository.RatingRow?
    var rectifications: [RectificationRow]
}

/// 好差评 and 整改, each change in one transaction: an applicant's rating of a completed case, the
/// rectifications a bad one opens for the responsible departments, the department's action and
/// the supervisor's callback (回访); and the reads the ratings' and rectifications' routes answer from.
struct RatingsWorkflow: Sendable {
    let database: PostgresClient
    let settings: EvaluationSettings

    // MARK: Ratings

    /// Rates the completed case `number` for its applicant `caller`, once, within the window; a bad
    /// rating opens a rectification for `department` when named, otherwise for every department of
    /// the case.
    func rate(
        _ number: String, by caller: Principal, level: RatingLevel, channel: RatingChannel, tags: [String], comment: String?,
        department named: String?
    ) async throws -> RatedCase {
        let now = settings.now()
        let window = settings.ratingWindowDays
        return try await database.withTransaction { connection in
            let row = try await accessibleCase(number, caller: caller, lock: true, on: connection)
            if row.withdrawnAt != nil {
                throw Problem(type: .caseNotCompleted, status: .conflict, title: "The case is not completed", detail: "Case \(number) was withdrawn; only completed cases are rated.")
            }
            guard let completedAt = row.completedAt else {
                throw Problem(type: .caseNotCompleted, status: .conflict, title: "The case is not completed", detail: "Case \(number) is still being handled; it can be rated once every department has decided.")
            }
            let until = completedAt.addingTimeInterval(Double(window) * 86400)
            guard now <= until else {
                throw Problem(type: .ratingWindowClosed, status: .conflict, title: "The rating window has closed", detail: "Case \(number) could be rated until \(Envelope.formatTime(until)), \(window) days after it was completed.")
            }
            let departments = try await EvaluationRepository.departments(ofCase: number, on: connection)
            var responsible = departments
            if let named {
                responsible = departments.filter { $0.0 == named }
                guard !responsible.isEmpty else {
                    throw Problem.validation([FieldError(field: "department", problem: "must be one of the departments that handled the case: \(departments.map(\.0).joined(separator: ", "))")])
                }
            }
            let inserted = try await EvaluationRepository.insertRating(
                caseNumber: number, applicantAccount: caller.subject, level: level, tags: tags, comment: comment, channel: channel,
                ratedAt: now, on: connection
            )
            guard inserted else {
                throw Problem(type: .alreadyRated, status: .conflict, title: "The case was rated already", detail: "Case \(number) has its rating; each case is rated once.")
            }
            if !level.isPositive {
                for (department, name) in responsible {
                    try await openRectification(caseNumber: number, department: department, departmentName: name, level: level, ratedAt: now, on: connection)
                }
            }
            return try await ratedCase(number, caller: caller, on: connection)
        }
    }

    /// The case `number` with its rating and rectifications, for its applicant or a supervisor.
    func ratedCase(_ number: String, by caller: Principal) async throws -> RatedCase {
        try await database.withConnection { connection in
            try await ratedCase(number, caller: caller, on: connection)
        }
    }

    private func ratedCase(_ number: String, caller: Principal, on connection: PostgresConnection) async throws -> RatedCase {
        let row = try await accessibleCase(number, caller: caller, lock: false, on: connection)
        let rating = try await EvaluationRepository.rating(caseNumber: number, on: connection)
        return RatedCase(
            caseNumber: number,
            standing: row,
            rating: rating,
            rectifications: try await EvaluationRepository.rectifications(caseNumber: number, on: connection)
        )
    }

    /// The case, if `caller` may see it: its applicant (by verified identity), or a supervisor (also
    /// before the applicant is known: events arrive in any order). Anyone else's case answers 404,
    /// so that case numbers cannot be probed.
    private func accessibleCase(_ number: String, caller: Principal, lock: Bool, on connection: PostgresConnection) async throws -> EvaluationRepository.CaseRow {
        guard let row = try await EvaluationRepository.applicantCase(number, lock: lock, on: connection) else {
            throw Problem.notFound("No such case among the cases evaluation knows.")
        }
        if caller.role != .supervisor {
            guard let digest = row.applicantIdentityDigest, caller.isApplicant(identityDigest: digest) else {
                throw Problem.notFound("No such case among the cases evaluation knows.")
            }
        }
        return row
    }

    // MARK: Rectifications

    /// Opens the rectification of `department` for a bad rating given at `ratedAt`.
    private func openRectification(caseNumber: String, department: String, departmentName: String, level: RatingLevel, ratedAt: Date, on connection: PostgresConnection) async throws {
        let limit = settings.rectificationWorkingDays
        let due = Rectification.dueAt(openedAt: ratedAt, limitDays: limit, calendar: settings.calendars.home)
        try await EvaluationRepository.insertRectification(
            id: UUID().uuidString.lowercased(), caseNumber: caseNumber, department: department, departmentName: departmentName,
            level: level, openedAt: ratedAt, limitDays: limit, dueAt: due, on: connection
        )
    }

    /// Every rectification, or one department's, soonest deadline first.
    func rectifications(department: String?) async throws -> [RectificationRow] {
        try await database.withConnection { try await EvaluationRepository.rectifications(department: department, on: $0) }
    }

    /// The rectification `id`, if `caller` may see it.
    func rectification(_ id: String, by caller: Principal) async throws -> RectificationRow {
        try await database.withConnection { connection in
            try await accessibleRectification(id, caller: caller, lock: false, on: connection)
        }
    }

    /// Records what the department did, as its officer `caller` says, once and before the callback.
    func recordAction(_ description: String, on id: String, by caller: Principal) async throws -> RectificationRow {
        let now = settings.now()
        return try await database.withTransaction { connection in
            let row = try await accessibleRectification(id, caller: caller, lock: true, on: connection)
            guard row.closedAt == nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The rectification is closed", detail: "Rectification \(id) was closed after its callback.")
            }
            guard row.actedAt == nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The action was recorded already", detail: "Rectification \(id) has its action; the supervisor's callback comes next.")
            }
            return try await EvaluationRepository.recordAction(id, description: description, by: caller.subject, at: now, on: connection)
        }
    }

    /// Records the supervisor's callback (回访) after the department's action, and closes the rectification.
    func recordCallback(_ summary: String, applicantSatisfied: Bool, on id: String, by caller: Principal) async throws -> RectificationRow {
        let now = settings.now()
        return try await database.withTransaction { connection in
            let row = try await accessibleRectification(id, caller: caller, lock: true, on: connection)
            guard row.closedAt == nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The rectification is closed", detail: "Rectification \(id) was closed already.")
            }
            guard row.actedAt != nil else {
                throw Problem(type: .rectificationState, status: .conflict, title: "The department has not acted yet", detail: "Rectification \(id) waits for \(row.departmentName) to record what it did; the callback follows that.")
            }
            return try await EvaluationRepository.recordCallback(id, summary: summary, applicantSatisfied: applicantSatisfied, by: caller.subject, at: now, on: connection)
        }
    }

    /// The rectification, if `caller` may see it: supervisors, and the officers of its department
    /// in this region; to anyone else it answers 404, as one that does not exist.
    private func accessibleRectification(_ id: String, caller: Principal, lock: Bool, on connection: PostgresConnection) async throws -> RectificationRow {
        guard let row = try await EvaluationRepository.rectification(id, lock: lock, on: connection),
              caller.role == .supervisor || caller.isOfficer(of: row.department, in: settings.region)
        else {
            throw Problem.notFound("No such rectification.")
        }
        return row
    }
}

extension ProblemType {
    /// The case is not completed (still in approval, or withdrawn): nothing to rate yet.
    static let caseNotCompleted = ProblemType("case-not-completed")
    /// The case was rated already; a rating is given once.
    static let alreadyRated = ProblemType("already-rated")
    /// The rating window after completion has closed.
    static let ratingWindowClosed = ProblemType("rating-window-closed")
    /// The rectification is not in a state that allows this step.
    static let rectificationState = ProblemType("rectification-state")
}
