import Domain
import Foundation
import Messaging
import TongbanClient

// 电子监察: the light of a clock under a promised and a legal limit (TongbanClient's `Light`, which
// supervisors read), as supervision reckons it with the shared `WorkingDayClock` — independently
// of approval (审管分离), from the events alone.

/// When a clock turns yellow: when the working days left of the promised limit fall to
/// `yellowShare` of that limit or to `yellowDays`, whichever comes first (e.g. 20% of 10 days is
/// 2 days; of 3 days it is 0.6, so the one day comes first) — but never before half the limit has
/// run: a one-day matter turns yellow at midday, and an immediate item (即办件, no days at all)
/// only goes red if it is not decided on its day. Otherwise every short matter would start yellow
/// and raise an alert even when decided on the spot.
struct LightPolicy: Sendable, Equatable {
    var yellowShare: Double = 0.2
    var yellowDays: Double = 1

    /// Working days left at or below which the light is yellow; 0 means never yellow.
    func yellowThreshold(promisedLimitDays: Int) -> Double {
        min(max(yellowShare * Double(promisedLimitDays), yellowDays), Double(promisedLimitDays) / 2)
    }
}

/// A task's clock read at one instant.
struct ClockReading: Sendable, Equatable {
    var light: Light
    /// Past the legal limit (超法定时限).
    var pastLegalLimit: Bool
    var suspended: Bool
    var remainingPromisedDays: Double
    var remainingLegalDays: Double
    var promisedDeadline: Date
    var legalDeadline: Date
    /// The next instant at which the reading can change by the passing of time alone; nil when it
    /// cannot (suspended — a resumption is an event — or past every threshold).
    var nextChange: Date?

    /// The alert changes this reading shows, in the order they happen.
    var changes: [AlertRaised.Light] {
        var changes: [AlertRaised.Light] = []
        if light >= .yellow { changes.append(.yellow) }
        if light >= .red { changes.append(.red) }
        if pastLegalLimit { changes.append(.legalOverdue) }
        return changes
    }
}

/// A task's clock as supervision keeps it.
struct SupervisedClock: Sendable {
    var clock: WorkingDayClock
    var promisedLimitDays: Int
    var legalLimitDays: Int

    /// The reading at `instant`.
    func reading(at instant: Date, policy: LightPolicy) -> ClockReading {
        let promisedDeadline = clock.deadline(limitDays: promisedLimitDays, asOf: instant)
        let legalDeadline = clock.deadline(limitDays: legalLimitDays, asOf: instant)
        let remainingPromised = clock.remainingWorkingDays(limitDays: promisedLimitDays, at: instant)
        let remainingLegal = clock.remainingWorkingDays(limitDays: legalLimitDays, at: instant)
        let threshold = policy.yellowThreshold(promisedLimitDays: promisedLimitDays)
        let light: Light = if instant > promisedDeadline {
            .red
        } else if threshold > 0, remainingPromised <= threshold + 1e-9 {
            .yellow
        } else {
            .green
        }
        let pastLegal = instant > legalDeadline
        let suspended = clock.isSuspended(at: instant)
        var next: Date?
        if !suspended {
            switch light {
            case .green: next = threshold > 0 ? yellowInstant(after: instant, threshold: threshold, before: promisedDeadline) : promisedDeadline.addingTimeInterval(0.001)
            case .yellow: next = promisedDeadline.addingTimeInterval(0.001)
            case .red: next = pastLegal ? nil : legalDeadline.addingTimeInterval(0.001)
            }
        }
        return ClockReading(
            light: light,
            pastLegalLimit: pastLegal,
            suspended: suspended,
            remainingPromisedDays: remainingPromised,
            remainingLegalDays: remainingLegal,
            promisedDeadline: promisedDeadline,
            legalDeadline: legalDeadline,
            nextChange: next
        )
    }

    /// The first instant after `instant` at which at most `threshold` working days are left of the
    /// promised limit. Working time only grows, so a bisection to the second finds it; the clock
    /// is the shared one, with whole working days as its only public step.
    private func yellowInstant(after instant: Date, threshold: Double, before deadline: Date) -> Date {
        let target = Double(promisedLimitDays) - threshold
        var low = instant
        var high = deadline
        while high.timeIntervalSince(low) > 1 {
            let middle = low.addingTimeInterval(high.timeIntervalSince(low) / 2)
            if clock.elapsedWorkingDays(at: middle) >= target - 1e-9 { high = middle } else { low = middle }
        }
        return high
    }
}
