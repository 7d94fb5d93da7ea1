public import Foundation

/// One event as it travels between services: a CloudEvents 1.0 event in the Kafka binary binding.
/// Attributes travel as headers (`ce_id`, `ce_source`, `ce_type`, `ce_specversion`, `ce_time`,
/// `content-type`), the JSON payload as the value, and the case number as the key, so that one
/// case's events stay in order on one partition.
public struct Envelope: Sendable, Equatable {
    /// Unique per event; consumers record it to apply each event once.
    public var id: String
    /// Who produced it, e.g. `/tongban/130100/intake`.
    public var source: String
    /// The event type, e.g. `tongban.intake.case-submitted.v1`.
    public var type: String
    public var time: Date
    /// The partition key: the case number.
    public var key: String
    /// The JSON payload.
    public var data: [UInt8]

    public static let specVersion = "1.0"
    public static let contentType = "application/json"

    public init(id: String = UUID().uuidString.lowercased(), source: String, type: String, time: Date = Date(), key: String, data: [UInt8]) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.key = key
        self.data = data
    }

    /// The envelope around an encodable payload.
    public init<Payload: Encodable>(source: String, type: String, key: String, payload: Payload, id: String = UUID().uuidString.lowercased(), time: Date = Date()) throws {
        self.init(id: id, source: source, type: type, time: time, key: key, data: Array(try Self.encoder.encode(payload)))
    }

    /// The payload, decoded; a payload that does not match its type is a permanent failure.
    public func decode<Payload: Decodable>(_ type: Payload.Type) throws(EnvelopeError) -> Payload {
        try Self.decode(type, from: data)
    }

    /// A JSON payload decoded as an envelope's data is (dates RFC 3339).
    public static func decode<Payload: Decodable>(_ type: Payload.Type, from data: [UInt8]) throws(EnvelopeError) -> Payload {
        do {
            return try decoder.decode(Payload.self, from: Data(data))
        } catch let error as DecodingError {
            throw .invalidPayload(describe(error))
        } catch {
            throw .invalidPayload("\(error)")
        }
    }

    /// `payload` as JSON, exactly as an envelope's data carries it (dates RFC 3339 with milliseconds).
    public static func encode<Payload: Encodable>(_ payload: Payload) throws -> [UInt8] {
        Array(try encoder.encode(payload))
    }

    /// The Kafka headers of the binary binding, in a fixed order.
    public var headers: [(name: String, value: [UInt8])] {
        [
            ("ce_specversion", Array(Self.specVersion.utf8)),
            ("ce_id", Array(id.utf8)),
            ("ce_source", Array(source.utf8)),
            ("ce_type", Array(type.utf8)),
            ("ce_time", Array(Self.formatTime(time).utf8)),
            ("content-type", Array(Self.contentType.utf8)),
        ]
    }

    /// Reads an envelope from a Kafka message; anything a producer of ours would never write is an error
    /// that says what was wrong, for the dead-letter topic.
    public init(key: [UInt8]?, headers: [(name: String, value: [UInt8])], value: [UInt8]?) throws(EnvelopeError) {
        func header(_ name: String) throws(EnvelopeError) -> String {
            guard let raw = headers.last(where: { $0.name == name })?.value else { throw .missingAttribute(name) }
            guard let text = String(validating: raw, as: UTF8.self), !text.isEmpty else { throw .invalidAttribute(name, "is empty or not UTF-8") }
            return text
        }
        let specVersion = try header("ce_specversion")
        guard specVersion == Self.specVersion else { throw .invalidAttribute("ce_specversion", "is \(specVersion), not 1.0") }
        let contentType = try header("content-type")
        guard contentType.lowercased().hasPrefix(Self.contentType) else { throw .invalidAttribute("content-type", "is \(contentType), not application/json") }
        let timeText = try header("ce_time")
        guard let time = Self.parseTime(timeText) else { throw .invalidAttribute("ce_time", "'\(timeText)' is not an RFC 3339 time") }
        guard let key, let keyText = String(validating: key, as: UTF8.self), !keyText.isEmpty else { throw .missingKey }
        guard let value, !value.isEmpty else { throw .invalidPayload("the message has no value") }
        self.init(id: try header("ce_id"), source: try header("ce_source"), type: try header("ce_type"), time: time, key: keyText, data: value)
    }

    /// Tongban's one JSON encoding, for event payloads and HTTP bodies alike: instants in RFC 3339
    /// (UTC, milliseconds), keys sorted, so the same value always encodes to the same bytes.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTime(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Reads what `encoder` writes, and RFC 3339 instants with or without fractions.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }()

    /// Now, at the precision events carry (whole milliseconds): what a service stores and what
    /// it publishes then compare equal, and sort the same.
    public static func now() -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    /// RFC 3339 in UTC with milliseconds.
    public static func formatTime(_ date: Date) -> String {
        // To the nearest millisecond. The formatter truncates, and x.599 as a Double may lie just
        // below it; half a microsecond on top of the rounded value makes it print .599.
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        return Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date(timeIntervalSince1970: milliseconds / 1000 + 0.000_000_5))
    }

    public static func parseTime(_ text: String) -> Date? {
        guard let parsed = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) else { return nil }
        // The parser's fraction can be off by a microsecond or so; events carry whole milliseconds,
        // so the instant is the one `now()` would have made, and equal times stay equal.
        return Date(timeIntervalSince1970: (parsed.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let path = jsonPath(keys)
            return path.isEmpty ? "the payload" : path
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "the payload is not JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "the payload does not match its type"
        }
    }
}

/// Why a Kafka message is not a valid envelope: always permanent, so the message goes to the
/// dead-letter topic with this reason.
public enum EnvelopeError: Error, Equatable, CustomStringConvertible {
    case missingAttribute(String)
    case invalidAttribute(String, String)
    case missingKey
    case invalidPayload(String)

    public var description: String {
        switch self {
        case .missingAttribute(let name): "header \(name) is missing"
        case .invalidAttribute(let name, let problem): "header \(name) \(problem)"
        case .missingKey: "the message has no key (the case number)"
        case .invalidPayload(let problem): "invalid payload: \(problem)"
        }
    }
}
