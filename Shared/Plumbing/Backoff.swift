/// Waits that double after each failure, from `first` up to `ceiling`: how Tongban retries what
/// must happen sooner or later (a broker or a database that is away) without hammering it.
public struct Backoff: Sendable {
    public let first: Duration
    public let ceiling: Duration
    /// The wait before the next attempt.
    public private(set) var delay: Duration

    public init(first: Duration = .milliseconds(100), ceiling: Duration = .seconds(5)) {
        self.first = first
        self.ceiling = ceiling
        delay = first
    }

    /// Sleeps the current delay (less, if the task is cancelled meanwhile) and doubles it.
    public mutating func pause() async {
        try? await Task.sleep(for: delay)
        delay = min(delay * 2, ceiling)
    }

    /// Back to the first delay, after a success.
    public mutating func reset() {
        delay = first
    }
}
