import Foundation
import SwitchboardAdapters

exit(await AdaptersCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
