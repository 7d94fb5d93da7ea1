import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ServiceKit

/// `tongban status`: asks every service's /healthz and prints one line each.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show whether each service answers /healthz.",
        discussion: """
            Addresses default to the local set-up; override one with TONGBAN_<SERVICE>_URL, \
            e.g. TONGBAN_INTAKE_URL=http://10.0.0.5:8081.
            """
    )

    @Option(help: "Keep asking for up to this many seconds until every service answers.")
    var wait: Int = 0

    func run() async throws {
        let deadline = Date().addingTimeInterval(TimeInterval(wait))
        var results: [(ServiceName, URL, Result<Void, any Error>)]
        repeat {
            results = []
            for service in ServiceName.allCases {
                let base = Self.baseURL(of: service)
                results.append((service, base, await Self.checkHealth(base)))
            }
            if results.allSatisfy({ (try? $0.2.get()) != nil }) || Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(250))
        } while true

        var healthy = true
        for (service, base, result) in results {
            switch result {
            case .success:
                print("\(service.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) up    \(base.absoluteString)")
            case .failure(let error):
                healthy = false
                print("\(service.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) DOWN  \(base.absoluteString)  (\(error))")
            }
        }
        if !healthy { throw ExitCode(1) }
    }

    static func baseURL(of service: ServiceName) -> URL {
        let variable = "TONGBAN_\(service.rawValue.uppercased())_URL"
        let text = ProcessInfo.processInfo.environment[variable] ?? "http://127.0.0.1:\(service.defaultHTTPPort)"
        return URL(string: text)!
    }

    static func checkHealth(_ base: URL) async -> Result<Void, any Error> {
        var request = URLRequest(url: base.appendingPathComponent("healthz"))
        request.timeoutInterval = 2
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return status == 200 ? .success(()) : .failure(HealthCheckError(description: "HTTP \(status)"))
        } catch {
            return .failure(HealthCheckError(description: error.localizedDescription))
        }
    }
}

struct HealthCheckError: Error, CustomStringConvertible {
    var description: String
}
