public import Foundation
import HTTPTypes
public import HummingbirdTesting
import Messaging
import NIOCore
public import TongbanClient

/// A test reads a service's answer as every client does: Tongban's one JSON decoder, the
/// Shared/Client types, and problem details as `ProblemDocument`.
extension TestResponse {
    public var text: String { String(buffer: body) }
    public var data: Data { Data(body.readableBytesView) }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Envelope.decoder.decode(T.self, from: data)
    }

    /// The body as problem details, when it is problem+json.
    public var problem: ProblemDocument? {
        guard headers[.contentType] == ProblemDocument.mediaType else { return nil }
        return try? decode(ProblemDocument.self)
    }
}
