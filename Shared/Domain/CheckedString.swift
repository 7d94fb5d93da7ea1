/// A value written as one string and checked whenever it is read — from a request, a row or an
/// event — so an invalid one never gets past decoding, and the reason says what is wrong.
public protocol CheckedString: Codable, CustomStringConvertible {
    associatedtype Failure: Error & CustomStringConvertible
    init(_ text: String) throws(Failure)
}

extension CheckedString {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
