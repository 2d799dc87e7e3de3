import Foundation
import SwitchboardDirectory

exit(await DirectoryCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
