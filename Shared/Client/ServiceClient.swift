public import Foundation
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif
import Messaging

/// Talks HTTP to one Tongban service as its users do: a bearer token, JSON bodies, and problem
/// details (RFC 9457) when something is refused. For the demo, the benchmark and whole-system tests.
public struct ServiceClient: Sendable {
    public let baseURL: URL
    let session: URLSession

    public init(baseURL: URL, session: URLSession = .shared) {
        self.baseURL = baseURL
        self.session = session
    }

    /// `accept`, when given, asks for one representation (seal's verification: a page or JSON).
    public func get(_ path: String, token: String? = nil, accept: String? = nil) async throws -> ServiceResponse {
        try await send("GET", path, body: nil, token: token, idempotencyKey: nil, accept: accept)
    }

    public func post(_ path: String, json: some Encodable, token: String? = nil, idempotencyKey: String? = nil) async throws -> ServiceResponse {
        try await send("POST", path, body: Envelope.encoder.encode(json), token: token, idempotencyKey: idempotencyKey)
    }

    func send(_ method: String, _ path: String, body: Data?, token: String?, idempotencyKey: String?, accept: String? = nil) async throws -> ServiceResponse {
        var headers: [String: String] = [:]
        if body != nil { headers["Content-Type"] = "application/json" }
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        if let accept { headers["Accept"] = accept }
        return try await send(method, path, body: body, headers: headers)
    }

    /// Any request, with exactly these headers and body: for tests that send what a careless or
    /// hostile client would.
    public func send(_ method: String, _ path: String, body: Data?, headers: [String: String]) async throws -> ServiceResponse {
        guard let url = URL(string: path, relativeTo: baseURL) else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        return ServiceResponse(
            status: http?.statusCode ?? 0,
            contentType: http?.value(forHTTPHeaderField: "Content-Type"),
            location: http?.value(forHTTPHeaderField: "Location"),
            body: data
        )
    }
}

public struct ServiceResponse: Sendable {
    public var status: Int
    public var contentType: String?
    public var location: String?
    public var body: Data

    public var text: String { String(decoding: body, as: UTF8.self) }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Envelope.decoder.decode(type, from: body)
    }

    /// The problem, when the service refused with application/problem+json.
    public var problem: ProblemDocument? {
        guard contentType?.hasPrefix(ProblemDocument.mediaType) == true else { return nil }
        return try? decode(ProblemDocument.self)
    }
}
