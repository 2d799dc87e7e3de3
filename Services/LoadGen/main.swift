import Foundation
import SwitchboardCtl

exit(await LoadGenerator.main(Array(CommandLine.arguments.dropFirst())))
