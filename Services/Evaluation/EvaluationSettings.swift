import Domain
import Foundation
import ServiceKit
import Synchronization

/// What evaluation reads from its environment beyond every service's configuration.
struct EvaluationSettings: Sendable {
    /// When a clock turns yellow: TONGBAN_YELLOW_PERCENT (of the promised limit, default 20) and
    /// TONGBAN_YELLOW_WORKING_DAYS (default 1), whichever comes first.
    var lights: LightPolicy
    /// How long after completion an applicant may rate the case, in calendar days
    /// (TONGBAN_RATING_WINDOW_DAYS, default 30).
    var ratingWindowDays: Int
    /// Working days a department has to rectify after a bad rating (TONGBAN_RECTIFICATION_WORKING_DAYS,
    /// default 15, as the State Council's 好差评 rules ask).
    var rectificationWorkingDays: Int
    /// How often the scanner re-reads the open clocks (TONGBAN_SUPERVISION_SCAN_MS, default 30 000).
    var scanInterval: Duration
    /// The working-day calendars, by region; the home region's is the default.
    var calendars: Calendars
    var now: Now
    /// The region this evaluation supervises (its home calendar's).
    var region: String { calendars.home.region }

    init(lights: LightPolicy = LightPolicy(), ratingWindowDays: Int = 30, rectificationWorkingDays: Int = 15, scanInterval: Duration = .seconds(30), calendars: Calendars, now: Now = .system) {
        self.lights = lights
        self.ratingWindowDays = ratingWindowDays
        self.rectificationWorkingDays = rectificationWorkingDays
        self.scanInterval = scanInterval
        self.calendars = calendars
        self.now = now
    }

    init(region: DivisionCode, environment: EnvironmentVariables, now: Now = .system) throws {
        let percent = try environment.integer("TONGBAN_YELLOW_PERCENT", default: 20, in: 0...100)
        let days = try environment.integer("TONGBAN_YELLOW_WORKING_DAYS", default: 1, in: 0...60)
        self.init(
            lights: LightPolicy(yellowShare: Double(percent) / 100, yellowDays: Double(days)),
            ratingWindowDays: try environment.integer("TONGBAN_RATING_WINDOW_DAYS", default: 30, in: 1...3650),
            rectificationWorkingDays: try environment.integer("TONGBAN_RECTIFICATION_WORKING_DAYS", default: 15, in: 1...250),
            scanInterval: .milliseconds(try environment.integer("TONGBAN_SUPERVISION_SCAN_MS", default: 30000, in: 10...3_600_000)),
            calendars: try Calendars(region: region.value, directory: environment.calendarDirectory),
            now: now
        )
    }
}

/// The working-day calendars supervision reckons with: the home region's, and any other region's
/// in the calendar folder (TONGBAN_CALENDAR_DIR, or those that ship with Tongban), loaded the
/// first time a task of that region arrives.
final class Calendars: Sendable {
    let home: WorkingCalendar
    let directory: URL?
    private let loaded: Mutex<[String: WorkingCalendar]>

    init(home: WorkingCalendar, directory: URL? = nil) {
        self.home = home
        self.directory = directory
        loaded = Mutex([home.region: home])
    }

    /// The home region's calendar is required: evaluation does not start without it.
    convenience init(region: String, directory: URL?) throws {
        self.init(home: try WorkingCalendar.load(region: region, directory: directory), directory: directory)
    }

    /// `region`'s calendar; nil when none ships for it.
    func calendar(for region: String) -> WorkingCalendar? {
        if let known = loaded.withLock({ $0[region] }) { return known }
        guard let calendar = try? WorkingCalendar.load(region: region, directory: directory) else { return nil }
        loaded.withLock { $0[region] = calendar }
        return calendar
    }
}
