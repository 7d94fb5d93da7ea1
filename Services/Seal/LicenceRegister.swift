import Foundation
import Messaging
import Postgres
import Signing

/// A licence as the register keeps it.
struct IssuedLicence: Sendable {
    var number: String
    var caseNumber: String
    var taskID: String
    var holderAccount: String
    var credential: JSONObject
    var summary: LicenceSummary
    var standing: LicenceStanding
}

/// Reads seal's register of issued licences and their standing.
struct LicenceRegister: Sendable {
    let database: PostgresClient

    func licence(number: String, at now: Date = Date()) async throws -> IssuedLicence? {
        try await licences(where: "l.licence_number = $1", value: number, at: now).first
    }

    func licences(caseNumber: String, at now: Date = Date()) async throws -> [IssuedLicence] {
        try await licences(where: "l.case_number = $1", value: caseNumber, at: now)
    }

    private func licences(where condition: String, value: String, at now: Date) async throws -> [IssuedLicence] {
        var bindings = PostgresBindings()
        bindings.append(value)
        let rows = try await database.query(PostgresQuery(unsafeSQL: """
            SELECT l.licence_number, l.case_number, l.task_id, l.holder_account, l.credential, l.summary
            FROM licences l WHERE \(condition) ORDER BY l.licence_number
            """, bindings: bindings)).decode((String, String, String, String, String, PostgresJSONB<LicenceSummary>).self)
        var licences: [IssuedLicence] = []
        for (number, caseNumber, taskID, account, credential, summary) in rows {
            licences.append(IssuedLicence(
                number: number,
                caseNumber: caseNumber,
                taskID: taskID,
                holderAccount: account,
                credential: try JSONValue(parsing: credential).objectValue ?? [:],
                summary: summary.value,
                standing: try await standing(caseNumber: caseNumber, taskID: taskID, at: now)
            ))
        }
        return licences
    }

    func standing(caseNumber: String, taskID: String, at now: Date) async throws -> LicenceStanding {
        let rows = try await database.query("""
            SELECT kind, effective_at, suspended_until, reason, legal_basis FROM withdrawals
            WHERE case_number = \(caseNumber) AND task_id = \(taskID)
            """).decode((String, Date, Date?, String, String).self)
        return LicenceStanding(withdrawals: rows.map { (kind: $0.0, effectiveAt: $0.1, suspendedUntil: $0.2, reason: $0.3, legalBasis: $0.4) }, at: now)
    }

    /// The list of `purpose` in `generation` as it stands at `now`; nil when no such list exists.
    func statusList(_ purpose: StatusPurpose, generation: Int, at now: Date) async throws -> BitstringStatusList? {
        let lengths = try await database.query("SELECT length FROM status_list_generations WHERE generation = \(generation)").decode(Int.self)
        guard let length = lengths.first else { return nil }
        var list = BitstringStatusList(length: length)
        let rows = try await database.query("""
            SELECT l.status_index, w.kind, w.effective_at, w.suspended_until, w.reason, w.legal_basis
            FROM licences l JOIN withdrawals w ON w.case_number = l.case_number AND w.task_id = l.task_id
            WHERE l.status_generation = \(generation)
            """).decode((Int, String, Date, Date?, String, String).self)
        let byIndex = Dictionary(grouping: rows, by: \.0)
        for (index, withdrawals) in byIndex {
            let standing = LicenceStanding(withdrawals: withdrawals.map { (kind: $0.1, effectiveAt: $0.2, suspendedUntil: $0.3, reason: $0.4, legalBasis: $0.5) }, at: now)
            switch purpose {
            case .revocation: list[index] = standing.revocation != nil
            case .suspension: list[index] = standing.suspension != nil
            }
        }
        return list
    }
}
