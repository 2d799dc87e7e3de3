import Foundation
import SwitchboardCtl

exit(await CtlCommand.main(Array(CommandLine.arguments.dropFirst())))
