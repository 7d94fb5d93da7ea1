import Domain
import Foundation
import Testing

@Suite("the working-day calendar")
struct WorkingCalendarTests {
    let calendar: WorkingCalendar

    init() throws {
        calendar = try WorkingCalendar.load(region: "130100")
    }

    func day(_ text: String) throws -> CalendarDay {
        try CalendarDay(text)
    }

    @Test("Shijiazhuang's shipped calendar: weekdays work, weekends, holidays and 调休 as published for 2026")
    func shippedCalendar() throws {
        #expect(calendar.region == "130100")
        #expect(calendar.isWorkingDay(try day("2026-11-23")))  // a Monday
        #expect(!calendar.isWorkingDay(try day("2026-11-28")))  // a Saturday
        #expect(!calendar.isWorkingDay(try day("2026-10-01")))  // 国庆
        #expect(calendar.isWorkingDay(try day("2026-10-10")))  // the Saturday worked for 国庆
        #expect(calendar.isWorkingDay(try day("2026-02-14")))  // the Saturday worked for 春节
        #expect(!calendar.isWorkingDay(try day("2026-02-18")))  // 春节
        #expect(calendar.isCovered(try day("2027-06-01")) && calendar.provisionalYears == [2027])
        #expect(!calendar.isCovered(try day("2028-01-03")))
    }

    @Test("the n-th working day after a day skips weekends, holidays and counts worked Saturdays")
    func workingDayAfter() throws {
        // Friday + 1 → Monday.
        #expect(calendar.workingDay(1, after: try day("2026-11-27")) == (try day("2026-11-30")))
        // 2026-09-30 + 5: Oct 8, 9, Saturday 10 (调休), 12, 13.
        #expect(calendar.workingDay(5, after: try day("2026-09-30")) == (try day("2026-10-13")))
        #expect(calendar.workingDay(0, after: try day("2026-11-28")) == (try day("2026-11-28")))
        #expect(calendar.workingDays(after: try day("2026-09-30"), through: try day("2026-10-13")) == 5)
        #expect(calendar.workingDays(after: try day("2026-10-13"), through: try day("2026-09-30")) == 0)
    }

    @Test("days are checked: no 30 February, no sloppy formats")
    func days() {
        #expect(throws: CalendarError.invalidDay("2026-02-30")) { try CalendarDay("2026-02-30") }
        #expect(throws: CalendarError.invalidDay("2026-2-3")) { try CalendarDay("2026-2-3") }
        #expect((try? CalendarDay("2028-02-29"))?.description == "2028-02-29")
    }

    @Test("a calendar file with a working 'weekend' day that is a weekday is refused, naming the day")
    func invalidFile() {
        let json = #"{"format":1,"region":"130100","timeZone":"Asia/Shanghai","years":{"2026":{"provisional":false,"holidays":[],"workingWeekendDays":["2026-11-23"]}}}"#
        #expect(throws: CalendarError.invalidFile("2026-11-23 is listed as a working weekend day but is not a weekend day")) {
            try WorkingCalendar(json: Data(json.utf8))
        }
    }

    @Test("the local day of an instant is Beijing time's: 23:30 UTC is already the next day")
    func localDay() throws {
        let instant = try Date("2026-11-23T23:30:00Z", strategy: .iso8601)
        #expect(calendar.day(of: instant) == (try day("2026-11-24")))
        #expect(calendar.startOfDay(try day("2026-11-24")) == (try Date("2026-11-23T16:00:00Z", strategy: .iso8601)))
    }
}
