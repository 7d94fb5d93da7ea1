import Hummingbird
import ServiceKit

/// The evaluation service. 好差评 and 电子监察: ratings, rectification and independent supervision of every clock.
@main
struct EvaluationService {
    static func main() async {
        await ServiceRunner.main(service: .evaluation) { runtime in
            buildApplication(runtime: runtime)
        }
    }
}

/// Evaluation's HTTP application; tests build it through this function too.
func buildApplication(runtime: ServiceRuntime) -> some ApplicationProtocol {
    buildServiceApplication(runtime: runtime)
}
