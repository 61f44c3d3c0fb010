using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Forge.Packages.Container.Registry.Http;

/// <summary><c>GET /v2/</c>: tells a client that this is a registry and how it takes credentials.</summary>
internal sealed class PingHandler(RegistryAccess access)
{
    public async Task HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        // Without credentials the ping always challenges, even with anonymous pulls: clients learn from it where to
        // get a bearer token (/v2/token, anonymously for an anonymous pull), or send Basic credentials (or an empty
        // pair). The normal first step of every client, not a refusal worth counting.
        if (!context.Request.Headers.ContainsKey(HeaderNames.Authorization))
        {
            throw Challenge();
        }

        if (await access.AuthenticateAsync(context, null, cancellationToken) is null && !access.AnonymousPull)
        {
            throw Challenge();
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{}", cancellationToken);
    }

    private static RegistryFailureException Challenge()
        => RegistryFailureException.Unauthorized("authentication required: get a bearer token from the realm of the challenge, or send HTTP Basic credentials of a Forge account");
}
