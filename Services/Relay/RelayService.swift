import Hummingbird
import Logging
import ServiceKit

/// The relay service. 跨省通办: signed exchange of cases, status and results with partner regions.
@main
struct RelayService {
    static func main() async {
        await ServiceRunner.main(service: .relay) { configuration, logger in
            buildApplication(configuration: configuration, logger: logger)
        }
    }
}

/// Relay's HTTP application; tests build it through this function too.
func buildApplication(configuration: ServiceConfiguration, logger: Logger) -> some ApplicationProtocol {
    buildServiceApplication(configuration: configuration, logger: logger)
}
