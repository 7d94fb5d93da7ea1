public import Foundation

/// Where a service reads the time. Production reads the system clock; tests pass a clock of
/// their own (ServiceTestSupport's ManualClock), so that deadlines and lights cross their
/// thresholds without anyone waiting and no test depends on the day it runs.
public struct Now: Sendable {
    let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    public func callAsFunction() -> Date { read() }

    public static let system = Now { Date() }
}
