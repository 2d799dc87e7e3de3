import Foundation
import SwitchboardConsole

exit(await ConsoleCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
