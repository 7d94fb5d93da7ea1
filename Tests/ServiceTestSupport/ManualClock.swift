public import Foundation
public import ServiceKit
import Synchronization

/// A clock that stands still until the test moves it; a service built with `clock.now` reads it.
public final class ManualClock: Sendable {
    private let instant: Mutex<Date>

    public init(_ start: Date) {
        instant = Mutex(start)
    }

    public var now: Now {
        Now { [self] in self.instant.withLock { $0 } }
    }

    public func set(_ date: Date) {
        instant.withLock { $0 = date }
    }
}
