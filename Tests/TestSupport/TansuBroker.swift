import Foundation
import Synchronization

/// A Tansu broker of the test's own (say, a partner region's Kafka cluster), on a free port, started
/// the way Scripts/lib/infra.sh starts the shared one. It keeps everything in memory: `stop()` then
/// `start()` is a broker that lost every topic, on the same address. Only this broker is ever
/// signalled, by its own process id; it is killed when the value goes away.
public final class TansuBroker: Sendable {
    public let port: Int
    private let process = Mutex<ChildProcess?>(nil)

    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// The Tansu binary Scripts/setup.sh installed.
    public static var executable: String {
        let local = ProcessInfo.processInfo.environment["TONGBAN_LOCAL_DIR"]
            ?? LocalInfrastructure.repositoryRoot.appendingPathComponent(".local").path
        return local + "/tools/bin/tansu"
    }

    /// Starts a broker on a port nobody listens on, and waits until it answers.
    public init() async throws {
        port = try freePort()
        try await start()
    }

    /// Starts the broker (again) on its port and waits until it takes connections.
    public func start() async throws {
        let address = "tcp://127.0.0.1:\(port)"
        let child = try ChildProcess(executable: Self.executable, arguments: [
            "broker", "--listener-url", address, "--advertised-listener-url", address, "--storage-engine", "memory://tansu/",
        ])
        process.withLock { $0 = child }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if !child.isRunning {
                throw InfrastructureError(description: "tansu on port \(port) exited: \(child.errorLines.suffix(5).joined(separator: "\n"))")
            }
            if acceptsConnections(port: port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw InfrastructureError(description: "tansu on port \(port) did not start within 30 s")
    }

    /// Stops the broker (SIGTERM, then SIGKILL if it lingers) and waits for it to exit.
    public func stop() async throws {
        guard let child = process.withLock({ current in defer { current = nil }; return current }) else { return }
        child.signal(SIGTERM)
        do {
            _ = try await child.waitForExit(timeout: .seconds(10))
        } catch {
            child.signal(SIGKILL)
            _ = try await child.waitForExit(timeout: .seconds(10))
        }
    }

    deinit {
        process.withLock { $0 = nil }
    }
}

/// A TCP port on 127.0.0.1 for a broker of a test's own, free right now and handed out once per
/// test process. It lies below the kernel's range for the local ports of outgoing connections
/// (`ip_local_port_range`): a port from that range (bind to port 0) can be taken, between our
/// check and the broker's bind, by any of the connections two hundred parallel tests open —
/// Tansu then panicked with AddrInUse. Below it, only a listener that asks for the port by
/// number can take it, and no program of ours does.
func freePort() throws -> Int {
    let lowest = 20_000
    let ephemeral = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32_768
    let range = lowest..<max(lowest + 1_000, ephemeral)
    for _ in 0..<range.count {
        let port = PortCursor.next(in: range)
        if canBind(port: port) { return port }
    }
    throw InfrastructureError(description: "no free port in \(range)")
}

/// Walks the range from a random start, so two test processes rarely try the same ports, and one
/// process never hands out a port twice.
private enum PortCursor {
    static let position = Mutex<Int?>(nil)

    static func next(in range: Range<Int>) -> Int {
        position.withLock { position in
            let current = position ?? Int.random(in: 0..<range.count)
            position = current + 1
            return range.lowerBound + current % range.count
        }
    }
}

/// Whether a listener could bind 127.0.0.1:`port` now.
private func canBind(port: Int) -> Bool {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func acceptsConnections(port: Int) -> Bool {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
