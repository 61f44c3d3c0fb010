using Microsoft.Extensions.Configuration;

namespace Forge.Host.Tests.Support;

public static class InMemoryConfiguration
{
    /// <summary>A configuration with exactly these keys, nothing from files or the environment.</summary>
    public static IConfiguration From(params (string Key, string? Value)[] settings)
        => new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
}
