import Domain
import Foundation
import Testing

/// Every expected date below was checked by hand against Calendars/130100.json (2026, as published)
/// and the weekdays of 2026. Instants are written in Beijing time (+08:00), as an officer reads them.
@Suite("the working-day clock")
struct WorkingDayClockTests {
    let calendar: WorkingCalendar

    init() throws {
        calendar = try WorkingCalendar.load(region: "130100")
    }

    func at(_ text: String) throws -> Date {
        try Date(text, strategy: .iso8601)
    }

    func clock(acceptedAt: String, suspensions: [(String, String?)] = []) throws -> WorkingDayClock {
        WorkingDayClock(
            calendar: calendar,
            acceptedAt: try at(acceptedAt),
            suspensions: try suspensions.map { WorkingDayClock.Suspension(start: try at($0.0), end: try $0.1.map(at)) }
        )
    }

    @Test("a limit runs from the day after acceptance and skips the weekend")
    func acrossAWeekend() throws {
        // Accepted Thursday 26 November: Friday 27 (1), Saturday and Sunday skipped, Monday 30 (2),
        // Tuesday 1 December (3) → the end of Tuesday.
        let clock = try clock(acceptedAt: "2026-11-26T10:00:00+08:00")
        #expect(clock.startsAt == (try at("2026-11-27T00:00:00+08:00")))
        #expect(clock.deadline(limitDays: 3, asOf: clock.acceptedAt) == (try at("2026-12-02T00:00:00+08:00")))
        // A limit of nothing runs out with the acceptance day.
        #expect(clock.deadline(limitDays: 0, asOf: clock.acceptedAt) == (try at("2026-11-27T00:00:00+08:00")))
    }

    @Test("a limit skips public holidays: 清明 takes Saturday 4 to Monday 6 April")
    func acrossAPublicHoliday() throws {
        // Accepted Thursday 2 April: Friday 3 (1); 4, 5, 6 are holidays; Tuesday 7 (2).
        let clock = try clock(acceptedAt: "2026-04-02T15:00:00+08:00")
        #expect(clock.deadline(limitDays: 2, asOf: clock.acceptedAt) == (try at("2026-04-08T00:00:00+08:00")))
    }

    @Test("a limit counts the Saturday worked under 调休 after 劳动节")
    func acrossAnAdjustedWorkingSaturday() throws {
        // Accepted Friday 8 May: Saturday 9 is worked (1), Sunday 10 is not, Monday 11 (2).
        // Without the 调休 Saturday the deadline would be the end of Tuesday 12.
        let clock = try clock(acceptedAt: "2026-05-08T11:00:00+08:00")
        #expect(clock.deadline(limitDays: 2, asOf: clock.acceptedAt) == (try at("2026-05-12T00:00:00+08:00")))
    }

    @Test("国庆: seven holidays, then the Saturday worked for them")
    func acrossNationalDay() throws {
        // Accepted Wednesday 30 September: 1–7 October are holidays; Thursday 8 (1), Friday 9 (2),
        // Saturday 10 worked (3), Monday 12 (4), Tuesday 13 (5).
        let clock = try clock(acceptedAt: "2026-09-30T10:00:00+08:00")
        #expect(clock.deadline(limitDays: 5, asOf: clock.acceptedAt) == (try at("2026-10-14T00:00:00+08:00")))
    }

    @Test("a case accepted on a Saturday starts counting on Monday")
    func acceptedOnAWeekend() throws {
        let clock = try clock(acceptedAt: "2026-11-28T10:00:00+08:00")
        #expect(clock.deadline(limitDays: 1, asOf: clock.acceptedAt) == (try at("2026-12-01T00:00:00+08:00")))
    }

    /// Accepted Monday 16 November 09:00; legal limit 10, promised limit 5. Without suspensions the
    /// legal deadline is the end of Monday 30 November and the promised one the end of Monday 23.
    /// Suspended Wednesday 18 12:00 → Friday 20 12:00 (half of Wednesday, Thursday, half of Friday:
    /// 2 working days), and Friday 27 18:00 → Monday 30 06:00 (a quarter of Friday, a quarter of
    /// Monday: 0.5 working days).
    var twoSuspensions: [(String, String?)] {
        [
            ("2026-11-18T12:00:00+08:00", "2026-11-20T12:00:00+08:00"),
            ("2026-11-27T18:00:00+08:00", "2026-11-30T06:00:00+08:00"),
        ]
    }

    @Test("two separate suspensions move each deadline by the working time they covered")
    func twoSeparateSuspensions() throws {
        let plain = try clock(acceptedAt: "2026-11-16T09:00:00+08:00")
        #expect(plain.deadline(limitDays: 10, asOf: plain.acceptedAt) == (try at("2026-12-01T00:00:00+08:00")))
        #expect(plain.deadline(limitDays: 5, asOf: plain.acceptedAt) == (try at("2026-11-24T00:00:00+08:00")))

        let clock = try clock(acceptedAt: "2026-11-16T09:00:00+08:00", suspensions: twoSuspensions)
        let after = try at("2026-12-31T00:00:00+08:00")
        // 2.5 working days later: Tuesday 1 December, Wednesday 2, half of Thursday 3.
        #expect(clock.deadline(limitDays: 10, asOf: after) == (try at("2026-12-03T12:00:00+08:00")))
        // The promised limit ran out before the second suspension: only the first moves it, by 2 days.
        #expect(clock.deadline(limitDays: 5, asOf: after) == (try at("2026-11-26T00:00:00+08:00")))
    }

    @Test("an open suspension holds the clock: the deadline is as if it ended now, and keeps moving")
    func openSuspension() throws {
        let clock = try clock(acceptedAt: "2026-11-16T09:00:00+08:00", suspensions: [
            ("2026-11-18T12:00:00+08:00", "2026-11-20T12:00:00+08:00"),
            ("2026-11-27T18:00:00+08:00", nil),
        ])
        #expect(clock.isSuspended(at: try at("2026-11-28T10:00:00+08:00")))
        // On Saturday only a quarter of Friday is held: 2.25 days after the end of 30 November.
        #expect(clock.deadline(limitDays: 10, asOf: try at("2026-11-28T10:00:00+08:00")) == (try at("2026-12-03T06:00:00+08:00")))
        // By Monday 06:00 it holds as much as the closed suspension did.
        #expect(clock.deadline(limitDays: 10, asOf: try at("2026-11-30T06:00:00+08:00")) == (try at("2026-12-03T12:00:00+08:00")))
        // Remaining time stands still while suspended, weekend or not.
        #expect(clock.remainingWorkingDays(limitDays: 10, at: try at("2026-11-28T10:00:00+08:00")) == 3.25)
        #expect(clock.remainingWorkingDays(limitDays: 10, at: try at("2026-12-10T10:00:00+08:00")) == 3.25)
    }

    @Test("remaining working time at several instants, suspended or not, down to overdue")
    func remainingTime() throws {
        let clock = try clock(acceptedAt: "2026-11-16T09:00:00+08:00", suspensions: twoSuspensions)
        func remaining(_ instant: String) throws -> Double {
            clock.remainingWorkingDays(limitDays: 10, at: try at(instant))
        }
        // The acceptance day does not count.
        #expect(try remaining("2026-11-16T17:00:00+08:00") == 10)
        // Tuesday 17, 18:00: three quarters of a day gone.
        #expect(try remaining("2026-11-17T18:00:00+08:00") == 9.25)
        // Thursday 19, suspended since Wednesday noon: Tuesday and half of Wednesday gone.
        #expect(try remaining("2026-11-19T10:00:00+08:00") == 8.5)
        #expect(clock.isSuspended(at: try at("2026-11-19T10:00:00+08:00")))
        // Saturday 21: Friday afternoon counted, the weekend does not.
        #expect(try remaining("2026-11-21T10:00:00+08:00") == 8)
        #expect(!clock.isSuspended(at: try at("2026-11-21T10:00:00+08:00")))
        // Monday 30, 12:00: 2 before, Monday 23 to Thursday 26 (4), Friday until 18:00 (0.75),
        // Monday from 06:00 (0.25).
        #expect(try remaining("2026-11-30T12:00:00+08:00") == 3)
        // At the deadline nothing is left, and it is not yet overdue.
        #expect(try remaining("2026-12-03T12:00:00+08:00") == 0)
        #expect(!clock.isOverdue(limitDays: 10, at: try at("2026-12-03T12:00:00+08:00")))
        // The end of Thursday 3: half a working day overdue; Saturday 5 adds nothing.
        #expect(try remaining("2026-12-04T00:00:00+08:00") == -0.5)
        #expect(try remaining("2026-12-05T15:00:00+08:00") == -1.5)
        #expect(clock.isOverdue(limitDays: 10, at: try at("2026-12-04T00:00:00+08:00")))
    }

    @Test("a suspension that begins on the acceptance day holds nothing of the limit until the clock starts")
    func suspensionBeforeTheStart() throws {
        // Requested on Thursday 26 at 16:00, supplied Friday 27 at 12:00: half of Friday is held.
        let clock = try clock(acceptedAt: "2026-11-26T10:00:00+08:00", suspensions: [("2026-11-26T16:00:00+08:00", "2026-11-27T12:00:00+08:00")])
        #expect(clock.deadline(limitDays: 3, asOf: clock.acceptedAt) == (try at("2026-12-02T12:00:00+08:00")))
    }
}
