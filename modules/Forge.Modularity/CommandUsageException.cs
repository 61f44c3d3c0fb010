namespace Forge.Modularity;

/// <summary>
/// Thrown by a module's command when its input is wrong (a bad argument, a name that is taken or unknown)
/// and nothing was done: the command line prints the message as one line and exits with
/// <see cref="ExitCodes.UsageError"/>.
/// </summary>
public sealed class CommandUsageException(string message) : Exception(message);
