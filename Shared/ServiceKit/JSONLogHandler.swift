import Foundation
public import Logging

/// Writes one JSON object per log line — `time`, `level`, `logger`, `message`, then metadata keys as
/// given (`case.number`, `kafka.topic`) — so that operators can filter logs with ordinary tools.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: LogSink

    public init(label: String, sink: LogSink = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let given = event.metadata {
            merged.merge(given) { _, new in new }
        }
        var line = "{"
        line += "\"time\":" + JSONText.string(JSONText.timestamp(Date()))
        line += ",\"level\":" + JSONText.string(event.level.rawValue)
        line += ",\"logger\":" + JSONText.string(label)
        line += ",\"message\":" + JSONText.string(event.message.description)
        if let error = event.error {
            line += ",\"error\":" + JSONText.string(String(describing: error))
        }
        for key in merged.keys.sorted() {
            line += "," + JSONText.string(key) + ":" + JSONText.value(merged[key]!)
        }
        line += "}\n"
        sink.write(line)
    }
}

/// Where log lines go. Writes are whole lines under a lock, so lines from several tasks never interleave.
public final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private let write: (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    public static let standardError = LogSink { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        write(line)
    }
}

enum JSONText {
    static func value(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let convertible): string(convertible.description)
        case .array(let values): "[" + values.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{" + dictionary.keys.sorted().map { string($0) + ":" + Self.value(dictionary[$0]!) }.joined(separator: ",") + "}"
        }
    }

    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
