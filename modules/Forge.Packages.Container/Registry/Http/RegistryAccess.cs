using Forge.Accounts;
using Forge.Packages.Container.Data;
using Forge.Packages.Container.Registry.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Container.Registry.Http;

/// <summary>What a request wants to do with a repository.</summary>
internal enum RegistryAccessKind
{
    Pull,
    Push,
    Delete,
}

/// <summary>
/// Who a request is: an account of HTTP Basic credentials (with what the credential may do with packages), or the
/// grant of a bearer token. Null stands for anonymous.
/// </summary>
internal sealed record RegistryCaller(string? Name, Account? Account, PackageScope Packages, RegistryTokenGrant? Grant);

/// <summary>
/// The one place that decides who may do what in the registry. Requests carry HTTP Basic credentials of a Forge
/// account (a password or an access token) or a bearer token of <c>/v2/token</c>. Pulling takes any account, or
/// none when <c>Forge:Registry:AnonymousPull</c> is true; pushing and deleting under <c>&lt;owner&gt;/</c> take the
/// owner with a credential that may write packages. A bearer token may do exactly what it grants, and one obtained
/// with an access token only while that token is valid. Names, passwords and tokens never reach a log.
/// </summary>
internal sealed partial class RegistryAccess(
    RegistrySettings settings,
    IAccountDirectory accounts,
    RegistryStore registry,
    RegistryTokens tokens,
    RegistryTelemetry telemetry,
    ILogger<RegistryAccess> logger)
{
    /// <summary>The key under which a request's caller name is kept in <see cref="HttpContext.Items"/>, for the access log.</summary>
    private const string CallerItem = "Forge.Registry.Caller";

    private const string BearerPrefix = "Bearer ";

    public bool AnonymousPull => settings.AnonymousPull;

    /// <summary>The name of the account the request authenticated as, if any (for the access log).</summary>
    public static string? CallerName(HttpContext context) => context.Items.TryGetValue(CallerItem, out var name) ? name as string : null;

    /// <summary>
    /// The caller of the request's credentials; null for none (or an empty Basic pair); Unauthorized for bad Basic
    /// ones, InvalidToken for a bad bearer token (both challenging for <paramref name="scope"/>).
    /// </summary>
    public async Task<RegistryCaller?> AuthenticateAsync(HttpContext context, TokenScope? scope, CancellationToken cancellationToken)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return null;
        }

        var challenge = scope?.ToString();
        if (header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var grant = await VerifyBearerAsync(header[BearerPrefix.Length..].Trim(), challenge, cancellationToken);
            context.Items[CallerItem] = grant.Subject;
            return new RegistryCaller(grant.Subject, null, PackageScope.Read, grant);
        }

        if (!BasicCredentials.IsBasic(header))
        {
            throw Refused("invalid", "only HTTP Basic credentials and bearer tokens are accepted", challenge);
        }

        var credential = await VerifyBasicAsync(context, header, challenge, cancellationToken);
        if (credential is null)
        {
            return null;
        }

        context.Items[CallerItem] = credential.Account.Name;
        return new RegistryCaller(credential.Account.Name, credential.Account, credential.Packages, null);
    }

    /// <summary>
    /// The credential of a token request's Basic credentials (null: none, anonymous); Unauthorized for wrong ones or
    /// another scheme, TooManyRequests past the limiter of failed sign-ins.
    /// </summary>
    public async Task<VerifiedCredential?> AuthenticateTokenRequestAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return null;
        }

        if (!BasicCredentials.IsBasic(header))
        {
            throw Refused("invalid", "the token endpoint takes HTTP Basic credentials (a password or an access token), or none", null);
        }

        var credential = await VerifyBasicAsync(context, header, null, cancellationToken);
        if (credential is not null)
        {
            context.Items[CallerItem] = credential.Account.Name;
        }

        return credential;
    }

    /// <summary>
    /// What of <paramref name="requested"/> a token for <paramref name="credential"/> (null: anonymous) grants: pull
    /// to any account (anonymous with AnonymousPull); push and delete to the repository's owner with a credential
    /// that may write packages; the catalog to whoever may pull. <c>*</c> asks for every action.
    /// </summary>
    public IReadOnlyList<TokenScope> Grant(VerifiedCredential? credential, IEnumerable<TokenScope> requested)
    {
        var granted = new List<TokenScope>();
        var mayPull = credential is not null || settings.AnonymousPull;
        foreach (var scope in requested)
        {
            if (scope.Type == TokenScope.RegistryType)
            {
                if (mayPull && !granted.Contains(TokenScope.Catalog))
                {
                    granted.Add(TokenScope.Catalog);
                }

                continue;
            }

            var name = RegistryReferences.ParseName(scope.Name);
            var owner = credential is not null && credential.MayWritePackages
                && string.Equals(credential.Account.Name, name.Owner, StringComparison.OrdinalIgnoreCase);
            var asked = scope.Actions.Contains(TokenScope.All) ? [TokenScope.Pull, TokenScope.Push, TokenScope.Delete] : scope.Actions;
            var actions = asked.Where(a => a == TokenScope.Pull ? mayPull : owner);
            var earlier = granted.FindIndex(g => g.Type == scope.Type && g.Name == name.Full);
            var merged = (earlier < 0 ? actions : granted[earlier].Actions.Concat(actions)).Distinct(StringComparer.Ordinal).ToList();
            if (merged.Count == 0)
            {
                continue;
            }

            var entry = new TokenScope(TokenScope.RepositoryType, name.Full, merged);
            if (earlier < 0)
            {
                granted.Add(entry);
            }
            else
            {
                granted[earlier] = entry;
            }
        }

        return granted;
    }

    /// <summary>Checks the request may pull from, push to or delete in <paramref name="name"/>; returns the owner's account.</summary>
    public async Task<Account> AuthorizeAsync(HttpContext context, RepositoryName name, RegistryAccessKind access, CancellationToken cancellationToken)
    {
        var action = access switch
        {
            RegistryAccessKind.Pull => TokenScope.Pull,
            RegistryAccessKind.Push => TokenScope.Push,
            _ => TokenScope.Delete,
        };
        var scope = TokenScope.Repository(name, action);
        var caller = await AuthenticateAsync(context, scope, cancellationToken);
        if (caller?.Grant is { } grant)
        {
            var allowed = access switch
            {
                RegistryAccessKind.Pull => grant.Allows(scope, TokenScope.Pull) && (grant.Subject is not null || settings.AnonymousPull),
                RegistryAccessKind.Push => grant.Allows(scope, TokenScope.Push),
                _ => grant.Allows(scope, TokenScope.Delete) || grant.Allows(scope, TokenScope.Push),
            };
            if (!allowed || (access != RegistryAccessKind.Pull && !string.Equals(grant.Subject, name.Owner, StringComparison.OrdinalIgnoreCase)))
            {
                telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "insufficient_scope"));
                throw RegistryFailureException.InsufficientScope($"the bearer token does not grant {action} on {name}: request a token with scope {scope}", scope.ToString());
            }

            return await accounts.FindAsync(name.Owner, cancellationToken) ?? throw RegistryFailureException.NameUnknown(name.Full);
        }

        if (caller is null && (access != RegistryAccessKind.Pull || !settings.AnonymousPull))
        {
            throw Refused("missing", access == RegistryAccessKind.Pull
                ? $"authentication required to pull from {name} (Forge:Registry:AnonymousPull is off)"
                : $"authentication required to {action} in {name}", scope.ToString());
        }

        if (access != RegistryAccessKind.Pull && !string.Equals(caller!.Name, name.Owner, StringComparison.OrdinalIgnoreCase))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "denied"));
            throw RegistryFailureException.Denied($"account {caller.Name} may not {action} in {name}: only {name.Owner} may {action} under {name.Owner}/");
        }

        if (access != RegistryAccessKind.Pull && caller!.Packages != PackageScope.Write)
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "denied"));
            throw RegistryFailureException.Denied($"this credential of {caller.Name} may only read packages (read:package): it may not {action} in {name}");
        }

        if (access != RegistryAccessKind.Pull)
        {
            return caller!.Account!;
        }

        return await accounts.FindAsync(name.Owner, cancellationToken) ?? throw RegistryFailureException.NameUnknown(name.Full);
    }

    /// <summary>Checks the request may list the catalog: any account, anonymous with AnonymousPull, a token granting <c>registry:catalog:*</c>.</summary>
    public async Task AuthorizeCatalogAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var caller = await AuthenticateAsync(context, TokenScope.Catalog, cancellationToken);
        if (caller?.Grant is { } grant)
        {
            if (!grant.Allows(TokenScope.Catalog, TokenScope.All) || (grant.Subject is null && !settings.AnonymousPull))
            {
                telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "insufficient_scope"));
                throw RegistryFailureException.InsufficientScope($"the bearer token does not grant the catalog: request a token with scope {TokenScope.Catalog}", TokenScope.Catalog.ToString());
            }

            return;
        }

        if (caller is null && !settings.AnonymousPull)
        {
            throw Refused("missing", "authentication required to list the catalog (Forge:Registry:AnonymousPull is off)", TokenScope.Catalog.ToString());
        }
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

    private async Task<RegistryTokenGrant> VerifyBearerAsync(string token, string? challenge, CancellationToken cancellationToken)
    {
        RegistryTokenGrant grant;
        try
        {
            grant = await tokens.VerifyAsync(token, challenge, cancellationToken);
        }
        catch (RegistryFailureException)
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid_token"));
            throw;
        }

        // A token obtained with an access token lives no longer than it: a revocation takes effect at once.
        if (grant.AccessTokenId is { } id && !await accounts.IsAccessTokenValidAsync(id, cancellationToken))
        {
            telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", "invalid_token"));
            throw RegistryFailureException.InvalidToken("the access token this bearer token was obtained with is revoked or has expired", challenge);
        }

        return grant;
    }

    private async Task<VerifiedCredential?> VerifyBasicAsync(HttpContext context, string header, string? challenge, CancellationToken cancellationToken)
    {
        if (BasicCredentials.Decode(header) is not { } credentials)
        {
            throw Refused("invalid", "the Basic credentials are not base64 of UTF-8 'name:password'", challenge);
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

        if (verification.Credential is not { } credential)
        {
            // Never the name or the password: a password typed into the name field is still a password.
            LogRefused(ClientAddress(context));
            throw Refused("invalid", "invalid name or password", challenge);
        }

        return credential;
    }

    private RegistryFailureException Refused(string reason, string message, string? challenge)
    {
        telemetry.AuthFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return RegistryFailureException.Unauthorized(message, challenge);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused registry credentials from {Remote}")]
    private partial void LogRefused(string remote);
}
