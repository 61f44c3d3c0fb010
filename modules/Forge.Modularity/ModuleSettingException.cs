namespace Forge.Modularity;

/// <summary>
/// A module's own setting is wrong (e.g. <c>Forge:Registry:AnonymousPull</c> is not a boolean). Thrown while the
/// module registers; the host reports it as a configuration error (one line, exit 2), like its own settings.
/// </summary>
public sealed class ModuleSettingException(string message) : Exception(message);
