/// Polls `condition` until it holds or `timeout` passes; returns whether it held. For effects that
/// travel through Kafka, where the test cannot know the moment they land.
public func eventually(timeout: Duration = .seconds(60), interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
