extension Duration {
    /// Whole milliseconds, as librdkafka's settings and timeouts take them.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole milliseconds for a librdkafka timeout argument, clamped to its range.
    var timeoutMilliseconds: Int32 {
        Int32(clamping: max(wholeMilliseconds, 0))
    }
}
