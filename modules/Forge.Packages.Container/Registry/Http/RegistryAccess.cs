using Forge.Accounts;
using Forge.Packages.Container.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>What a request wants to do with a repository.</summary>
internal enum RegistryAccessKind
{
    Pull,
    Push,
}

/// <summary>
/// Who a request is and what it may do: HTTP Basic credentials of a Forge account. Pushing to
/// <c>&lt;owner&gt;/&lt;image&gt;</c> takes the owner's credentials; pulling takes any account's, or none when
/// <c>Forge:Registry:AnonymousPull</c> is true. Names and passwords never reach a log.
/// </summary>
internal sealed partial class RegistryAccess(
    RegistrySettings settings, IAccountDirectory accounts, RegistryStore registry, RegistryTelemetry telemetry, ILogger<RegistryAccess> logger)
{
    public bool AnonymousPull => settings.AnonymousPull;

    /// <summary>The account of the request's Basic credentials; null for none (or an empty pair); Unauthorized for bad ones.</summary>
    public async Task<Account?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return null;
        }

        if (!BasicCredentials.IsBasic(header))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid"));
            throw RegistryFailureException.Unauthorized("only HTTP Basic credentials are accepted");
        }

        if (BasicCredentials.Decode(header) is not { } credentials)
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid"));
            throw RegistryFailureException.Unauthorized("the Basic credentials are not base64 of UTF-8 'name:password'");
        }

        if (credentials.IsEmpty)
        {
            return null;
        }

        var verification = credentials.IsComplete
            ? await accounts.VerifyAsync(credentials.Name, credentials.Password, ClientAddress(context), cancellationToken)
            : CredentialVerification.Refused;
        if (verification.Outcome == VerificationOutcome.Throttled)
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "throttled"));
            throw RegistryFailureException.TooManyRequests(verification.RetryAfter, "too many failed sign-ins for this account or from this address: try again later");
        }

        var account = verification.Credential?.Account;
        if (account is null)
        {
            // Never the name or the password: a password typed into the name field is still a password.
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid"));
            LogRefused(ClientAddress(context));
            throw RegistryFailureException.Unauthorized("invalid name or password");
        }

        return account;
    }

    /// <summary>Checks the request may pull from or push to <paramref name="name"/>; returns the owner's account.</summary>
    public async Task<Account> AuthorizeAsync(HttpContext context, RepositoryName name, RegistryAccessKind access, CancellationToken cancellationToken)
    {
        var account = await AuthenticateAsync(context, cancellationToken);
        if (account is null && (access == RegistryAccessKind.Push || !settings.AnonymousPull))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "missing"));
            throw RegistryFailureException.Unauthorized(access == RegistryAccessKind.Push
                ? $"authentication required to push to {name}"
                : $"authentication required to pull from {name} (Forge:Registry:AnonymousPull is off)");
        }

        if (access == RegistryAccessKind.Push && !string.Equals(account!.Name, name.Owner, StringComparison.OrdinalIgnoreCase))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "denied"));
            throw RegistryFailureException.Denied($"account {account.Name} may not push to {name}: only {name.Owner} may push under {name.Owner}/");
        }

        if (access == RegistryAccessKind.Push)
        {
            return account!;
        }

        return await accounts.FindAsync(name.Owner, cancellationToken) ?? throw RegistryFailureException.NameUnknown(name.Full);
    }

    /// <summary>The repository's package, after checking the access; NameUnknown when the repository has none.</summary>
    public async Task<(Account Owner, long Package)> PackageAsync(
        HttpContext context, RepositoryName name, RegistryAccessKind access, CancellationToken cancellationToken)
    {
        var owner = await AuthorizeAsync(context, name, access, cancellationToken);
        var package = await registry.FindPackageAsync(owner.Id, name.Image, cancellationToken) ?? throw RegistryFailureException.NameUnknown(name.Full);
        return (owner, package);
    }

    /// <summary>The client's address as the limiter of failed sign-ins counts it.</summary>
    public static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused registry credentials from {Remote}")]
    private partial void LogRefused(string remote);
}
