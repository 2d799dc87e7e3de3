import Foundation

exit(await TestKitCommands.main(Array(CommandLine.arguments.dropFirst())))
