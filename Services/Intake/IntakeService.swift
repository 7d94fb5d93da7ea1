import Hummingbird
import ServiceKit

/// The intake service. 一窗受理: the single window — matter catalogue, one-time notice, applications and bundles.
@main
struct IntakeService {
    static func main() async {
        await ServiceRunner.main(service: .intake) { runtime in
            buildApplication(runtime: runtime)
        }
    }
}

/// Intake's HTTP application; tests build it through this function too.
func buildApplication(runtime: ServiceRuntime) -> some ApplicationProtocol {
    buildServiceApplication(runtime: runtime)
}
