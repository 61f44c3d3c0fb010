using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Registry.Auth;

/// <summary>
/// Loads the signing keys of the registry's tokens when <c>forge run</c> starts, making the first key of the
/// deployment if there is none yet (nodes starting at once make one between them). A failure is logged and left to
/// the first token request, which loads the keys the same way.
/// </summary>
internal sealed partial class TokenKeyStartup(TokenSigningKeys keys, ILogger<TokenKeyStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await keys.CurrentAsync(cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            LogNotLoaded(e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not load the signing keys of the registry's tokens at start; the first token request tries again")]
    private partial void LogNotLoaded(Exception e);
}
