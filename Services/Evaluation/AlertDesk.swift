import Domain
import Foundation
import Logging
import Messaging
import Metrics
import Postgres
import ServiceKit
import TongbanClient

/// Reads a task's clock and raises each light change once: the `alerts` row (unique per subject
/// and light) and its outbox event are written in the caller's transaction, so neither a second
/// evaluation instance nor a restart can raise it again. It opens no transaction of its own: the
/// workflow calls it in the consumer's and the scanner's.
struct AlertDesk: Sendable {
    let settings: EvaluationSettings
    /// `tongban.evaluation.alert-raised.v1` in this deployment's namespace.
    let topic: Topic
    let source: String
    let raised: @Sendable (AlertRaised.Light) -> Void

    init(settings: EvaluationSettings, runtime: ServiceRuntime) {
        self.settings = settings
        topic = runtime.topic(.alertRaised)
        source = runtime.eventSource
        let factory = runtime.metrics.factory
        let counters = Dictionary(uniqueKeysWithValues: AlertRaised.Light.allCases.map {
            ($0, Counter(label: "evaluation_alerts_raised_total", dimensions: [("light", $0.rawValue)], factory: factory))
        })
        raised = { counters[$0]?.increment() }
    }

    /// The clock of `task` as the events so far tell it; nil until its acceptance is known.
    func clock(of task: String, region: String?, acceptedAt: Date?, on connection: PostgresConnection) async throws -> WorkingDayClock? {
        guard let acceptedAt else { return nil }
        let suspensions = try await EvaluationRepository.suspensions(ofTask: task, on: connection)
        let calendar = region.flatMap(settings.calendars.calendar(for:)) ?? settings.calendars.home
        return WorkingDayClock(calendar: calendar, acceptedAt: acceptedAt, suspensions: suspensions)
    }

    /// Reads `task`'s clock now (or at its decision or withdrawal, where it stopped), raises every
    /// light change not raised before, and records the reading and when to look again.
    func review(task: String, on connection: PostgresConnection) async throws {
        guard let row = try await EvaluationRepository.lockClock(ofTask: task, on: connection),
              let clock = try await clock(of: task, region: row.region, acceptedAt: row.acceptedAt, on: connection)
        else { return }
        let now = settings.now()
        let stoppedAt = row.decidedAt ?? row.withdrawnAt
        let supervised = SupervisedClock(clock: clock, promisedLimitDays: row.promisedLimitDays, legalLimitDays: row.legalLimitDays)
        let reading = supervised.reading(at: stoppedAt ?? now, policy: settings.lights)
        for change in reading.changes {
            let legal = change == .legalOverdue
            try await raise(AlertRaised(
                alertID: UUID().uuidString.lowercased(),
                subject: .task,
                subjectID: task,
                light: change,
                caseNumber: row.caseNumber,
                department: row.department,
                departmentName: row.departmentName,
                matterCode: row.matterCode,
                matterName: row.matterName,
                limitDays: legal ? row.legalLimitDays : row.promisedLimitDays,
                deadline: legal ? reading.legalDeadline : reading.promisedDeadline,
                remainingWorkingDays: legal ? reading.remainingLegalDays : reading.remainingPromisedDays,
                raisedAt: now
            ), on: connection)
        }
        let light = max(Light(rawValue: row.light) ?? .green, reading.light)
        // The scanner looks again when the reading can next change, never sooner than a second on.
        let nextCheck = stoppedAt == nil ? reading.nextChange.map { max($0, now.addingTimeInterval(1)) } : nil
        let decidedOnTime = row.decidedAt.map { $0 <= reading.promisedDeadline }
        try await EvaluationRepository.recordReading(
            task: task, light: light, pastLegalLimit: row.pastLegalLimit || reading.pastLegalLimit,
            suspended: stoppedAt == nil && reading.suspended, reading: reading,
            nextCheck: nextCheck, checkedAt: now, decidedOnTime: decidedOnTime, on: connection
        )
    }

    /// Writes `alert` and its event unless this subject already showed this light.
    func raise(_ alert: AlertRaised, on connection: PostgresConnection) async throws {
        guard try await EvaluationRepository.insertAlert(alert, on: connection) else { return }
        let envelope = try Envelope(source: source, type: topic.eventType, key: alert.caseNumber, payload: alert, id: alert.alertID, time: alert.raisedAt)
        try await Outbox.append(envelope, to: topic, on: connection)
        raised(alert.light)
    }

    /// Marks `rectification` overdue and raises its red light, once.
    func reviewRectification(_ id: String, on connection: PostgresConnection) async throws {
        let now = settings.now()
        guard let row = try await EvaluationRepository.markRectificationOverdue(id, at: now, on: connection) else { return }
        let (caseNumber, department, departmentName, limitDays, dueAt, openedAt) = row
        let clock = WorkingDayClock(calendar: settings.calendars.home, acceptedAt: openedAt)
        try await raise(AlertRaised(
            alertID: UUID().uuidString.lowercased(),
            subject: .rectification,
            subjectID: id,
            light: .red,
            caseNumber: caseNumber,
            department: department,
            departmentName: departmentName,
            matterCode: nil,
            matterName: nil,
            limitDays: limitDays,
            deadline: dueAt,
            remainingWorkingDays: clock.remainingWorkingDays(limitDays: limitDays, at: now),
            raisedAt: now
        ), on: connection)
    }
}
