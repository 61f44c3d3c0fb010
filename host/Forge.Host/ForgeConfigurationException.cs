namespace Forge.Host;

/// <summary>
/// A configuration or usage error that stops the host before it does anything. Its message names the key
/// and the value at fault and says what would be accepted; the command line prints it as one line.
/// </summary>
public sealed class ForgeConfigurationException(string message) : Exception(message);
