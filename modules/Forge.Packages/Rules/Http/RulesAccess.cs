using Forge.Accounts;
using Forge.Modularity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Forge.Packages.Rules.Http;

/// <summary>
/// Who may manage an owner's rules: the owner, with HTTP Basic credentials of that account, or an administrator, with
/// <c>Authorization: token &lt;Forge:Admin:Token&gt;</c> (checked by the host's <see cref="IAdminTokenCheck"/>; the
/// module never sees the token). No credentials or wrong ones: 401; another account's: 403; an unknown owner: 404.
/// Neither a name nor a password nor a token reaches a log or an answer.
/// </summary>
internal sealed partial class RulesAccess(IAccountDirectory accounts, IAdminTokenCheck adminToken, ILogger<RulesAccess> logger)
{
    private const string Needed = "this needs the owner's name and password (HTTP Basic) or 'Authorization: token <admin token>'";

    /// <summary>The owner named by the path, once the request's credentials may manage its rules.</summary>
    public async Task<Account> OwnerAsync(HttpContext context, string ownerName, CancellationToken cancellationToken)
    {
        var caller = await AuthenticateAsync(context, cancellationToken);
        var owner = await accounts.FindAsync(ownerName, cancellationToken)
            ?? throw RulesApiException.NotFound($"there is no account named '{ownerName}'");
        if (caller is not null && caller.Account.Id != owner.Id)
        {
            throw RulesApiException.Forbidden($"account {caller.Account.Name} may not manage the package rules of {owner.Name}: only {owner.Name} may (or an administrator, with the admin token)");
        }

        if (caller is not null && !caller.MayWritePackages && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            throw RulesApiException.Forbidden("the access token has the scope read:package: changing rules takes write:package (or the password)");
        }

        return owner;
    }

    /// <summary>The credential of the request's Basic credentials, or null for the admin token; 401 for anything else.</summary>
    private async Task<VerifiedCredential?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var header = context.Request.Headers.Authorization.ToString().Trim();
        if (header.Length == 0)
        {
            throw RulesApiException.Unauthorized(Needed);
        }

        if (header.StartsWith(IAdminTokenCheck.Scheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            if (!adminToken.IsConfigured)
            {
                throw Refused(context, "this forge has no admin token (Forge:Admin:Token is not set): use the owner's name and password");
            }

            return adminToken.Matches(header[(IAdminTokenCheck.Scheme.Length + 1)..].Trim()) ? null : throw Refused(context, "the token is not the admin token");
        }

        if (!BasicCredentials.IsBasic(header))
        {
            throw Refused(context, "only HTTP Basic credentials or 'Authorization: token <admin token>' are accepted");
        }

        var credentials = BasicCredentials.Decode(header) ?? throw Refused(context, "the Basic credentials are not base64 of UTF-8 'name:password'");
        if (credentials.IsEmpty)
        {
            throw RulesApiException.Unauthorized(Needed);
        }

        var verification = credentials.IsComplete
            ? await accounts.VerifyAsync(credentials.Name, credentials.Password, ClientAddress(context), cancellationToken)
            : CredentialVerification.Refused;
        return verification.Outcome == VerificationOutcome.Throttled
            ? throw RulesApiException.TooManyRequests(verification.RetryAfter)
            : verification.Credential ?? throw Refused(context, "invalid name or password");
    }

    private RulesApiException Refused(HttpContext context, string why)
    {
        LogRefused(context.Request.Method, ClientAddress(context));
        return RulesApiException.Unauthorized(why);
    }

    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused package rules API credentials ({Method}) from {Remote}")]
    private partial void LogRefused(string method, string remote);
}
