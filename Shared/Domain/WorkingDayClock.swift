public import Foundation

/// The clock of a task or a case under a limit in working days (限时办结), with any number of
/// suspensions (补正: waiting for the applicant's supplement does not count). Plain and I/O-free:
/// approval reckons its deadlines with it, and evaluation projects the same clocks from events.
///
/// What it counts:
/// - The clock starts at the local midnight that ends the acceptance day: limits run from the day
///   after acceptance, whatever the hour of acceptance.
/// - It runs only on working days (the region's `WorkingCalendar`: weekdays, minus public holidays,
///   plus the weekend days worked under 调休), each as a whole local calendar day.
/// - Working time is measured in working days, fractions included: six hours of a working day
///   count 0.25.
/// - A suspension stops it from its start until its end; the working time it covers is not
///   counted, so every deadline moves later by exactly that working time. An open suspension (no
///   end yet) stops it from its start on.
/// - The deadline of a limit of N working days is the instant the counted working time reaches N.
///   Without suspensions that is the end (midnight) of the N-th working day after the acceptance
///   day; a suspension of half a working day moves it to midday of the following working day.
/// - Remaining time is the limit minus the time counted so far; it is negative once overdue, by
///   the working time since the deadline.
public struct WorkingDayClock: Sendable {
    /// A stretch of time the clock stands still, e.g. from a supplement request to the supplement.
    public struct Suspension: Sendable, Hashable {
        public var start: Date
        /// Nil while it lasts.
        public var end: Date?

        public init(start: Date, end: Date? = nil) {
            self.start = start
            self.end = end
        }
    }

    public let calendar: WorkingCalendar
    public let acceptedAt: Date
    public let suspensions: [Suspension]

    public init(calendar: WorkingCalendar, acceptedAt: Date, suspensions: [Suspension] = []) {
        self.calendar = calendar
        self.acceptedAt = acceptedAt
        self.suspensions = suspensions
    }

    /// When the clock starts running: the end of the acceptance day.
    public var startsAt: Date {
        calendar.startOfDay(calendar.day(of: acceptedAt).adding(days: 1))
    }

    /// Whether a suspension holds the clock at `instant`.
    public func isSuspended(at instant: Date) -> Bool {
        suspensions.contains { $0.start <= instant && $0.end.map { instant < $0 } ?? true }
    }

    /// Working days counted from the start of the clock up to `instant`.
    public func elapsedWorkingDays(at instant: Date) -> Double {
        var elapsed = 0.0
        forEachRunningStretch(until: instant, openSuspensionsEndAt: instant) { start, end, dayLength in
            elapsed += end.timeIntervalSince(start) / dayLength
            return true
        }
        return elapsed
    }

    /// Working days left of `limitDays` at `instant`; negative once overdue.
    public func remainingWorkingDays(limitDays: Int, at instant: Date) -> Double {
        Double(limitDays) - elapsedWorkingDays(at: instant)
    }

    /// When `limitDays` working days will have been counted. An open suspension is taken to end at
    /// `instant` (or at its start, if later): the earliest the deadline can be if the clock ran
    /// again from then; it moves on for as long as the suspension lasts.
    public func deadline(limitDays: Int, asOf instant: Date) -> Date {
        precondition(limitDays >= 0, "a limit in working days is never negative")
        var needed = Double(limitDays)
        var deadline = startsAt
        guard needed > 0 else { return deadline }
        forEachRunningStretch(until: .distantFuture, openSuspensionsEndAt: instant) { start, end, dayLength in
            let length = end.timeIntervalSince(start) / dayLength
            // Whole days sum exactly; the tolerance absorbs rounding in fractions of a day.
            if abs(length - needed) < 1e-9 {
                deadline = end
                return false
            }
            if length > needed {
                deadline = start.addingTimeInterval(needed * dayLength)
                return false
            }
            needed -= length
            return true
        }
        return deadline
    }

    /// Whether `limitDays` ran out before `instant`.
    public func isOverdue(limitDays: Int, at instant: Date) -> Bool {
        instant > deadline(limitDays: limitDays, asOf: instant)
    }

    /// Calls `body` with each stretch of time the clock runs, in order, from its start up to `end`,
    /// with the length of the local day the stretch lies in, until `body` returns false. Working days
    /// are the only stretches; suspensions cut them.
    private func forEachRunningStretch(until end: Date, openSuspensionsEndAt openEnd: Date, _ body: (Date, Date, TimeInterval) -> Bool) {
        let stops = mergedSuspensions(openSuspensionsEndAt: openEnd)
        var day = calendar.day(of: startsAt)
        var dayStart = startsAt
        while dayStart < end {
            let nextDay = day.adding(days: 1)
            let dayEnd = calendar.startOfDay(nextDay)
            if calendar.isWorkingDay(day) {
                let dayLength = dayEnd.timeIntervalSince(dayStart)
                var cursor = dayStart
                let stretchEnd = min(dayEnd, end)
                for stop in stops where stop.end > cursor && stop.start < stretchEnd {
                    if stop.start > cursor, !body(cursor, stop.start, dayLength) { return }
                    cursor = max(cursor, stop.end)
                }
                if cursor < stretchEnd, !body(cursor, stretchEnd, dayLength) { return }
            }
            day = nextDay
            dayStart = dayEnd
        }
    }

    /// The suspensions as closed, non-overlapping stretches in order of start.
    private func mergedSuspensions(openSuspensionsEndAt openEnd: Date) -> [(start: Date, end: Date)] {
        let closed = suspensions
            .map { (start: $0.start, end: $0.end ?? max(openEnd, $0.start)) }
            .filter { $0.end > $0.start }
            .sorted { $0.start < $1.start }
        var merged: [(start: Date, end: Date)] = []
        for stretch in closed {
            if let last = merged.last, stretch.start <= last.end {
                merged[merged.count - 1].end = max(last.end, stretch.end)
            } else {
                merged.append(stretch)
            }
        }
        return merged
    }
}
