using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Container.Registry;

/// <summary>The registry API's settings: <c>Forge:Registry:AnonymousPull</c> (default false).</summary>
public sealed record RegistrySettings(bool AnonymousPull)
{
    public const string AnonymousPullKey = "Forge:Registry:AnonymousPull";

    public static RegistrySettings Read(IConfiguration configuration)
    {
        var text = configuration[AnonymousPullKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return new RegistrySettings(false);
        }

        return bool.TryParse(text.Trim(), out var anonymous)
            ? new RegistrySettings(anonymous)
            : throw new ModuleSettingException($"{AnonymousPullKey} is '{text}': it must be true or false.");
    }
}
