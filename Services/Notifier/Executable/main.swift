import Foundation
import SwitchboardNotifier

exit(await NotifierCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
