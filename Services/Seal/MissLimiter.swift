import Synchronization

/// Slows down a client that keeps asking for licence references the register does not have: a
/// walk over guessed references. After `allowed` misses within `window`, that client's lookups
/// answer 429 until its oldest counted miss is older than the window. Hits cost nothing.
final class MissLimiter: Sendable {
    let allowed: Int
    let window: Duration
    private let misses = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(allowed: Int = 20, window: Duration = .seconds(60)) {
        self.allowed = allowed
        self.window = window
    }

    /// How long `client` must wait before asking again; nil when it may ask now.
    func wait(for client: String, now: ContinuousClock.Instant = .now) -> Duration? {
        misses.withLock { misses in
            let recent = misses[client, default: []].filter { now - $0 < window }
            guard recent.count >= allowed, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }

    func recordMiss(by client: String, now: ContinuousClock.Instant = .now) {
        misses.withLock { misses in
            misses[client, default: []].append(now)
            misses[client]!.removeAll { now - $0 >= window }
            // Forget clients whose misses have all aged out, so that the table stays small.
            if misses.count > 1024 { misses = misses.filter { !$0.value.allSatisfy { now - $0 >= window } } }
        }
    }
}
