import Hummingbird
import ServiceKit

/// The relay service. 跨省通办: signed exchange of cases, status and results with partner regions.
@main
struct RelayService {
    static func main() async {
        await ServiceRunner.main(service: .relay) { runtime in
            buildApplication(runtime: runtime)
        }
    }
}

/// Relay's HTTP application; tests build it through this function too.
func buildApplication(runtime: ServiceRuntime) -> some ApplicationProtocol {
    buildServiceApplication(runtime: runtime)
}
