import Foundation
import SwitchboardRouter

exit(await RouterCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
