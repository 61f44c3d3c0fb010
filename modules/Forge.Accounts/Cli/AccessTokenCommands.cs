using System.CommandLine;
using System.Text.Json;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Accounts.Cli;

/// <summary>
/// <c>users tokens add|list|revoke</c>: a user's access tokens. A new token is printed once, by <c>add</c>; nothing
/// prints it (or its hash) again.
/// </summary>
internal static class AccessTokenCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Add(IModuleCommandHost host)
    {
        var user = UserArgument();
        var name = new Option<string>("--name") { Description = $"The token's name: 1 to {AccessTokenNameRules.MaximumLength} characters, unique among the user's tokens.", Required = true };
        name.Validators.Add(result => AddProblem(result, AccessTokenNameRules.Problem(result.GetValueOrDefault<string>()), "--name"));
        var scope = new Option<string>("--scope") { Description = "What the token may do with packages: read:package (pull) or write:package (push and delete as well).", Required = true };
        scope.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!AccessTokenScopes.Grantable.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"--scope '{value}' is not a scope Forge grants: use {string.Join(" or ", AccessTokenScopes.Grantable)}");
            }
        });
        var expires = new Option<string?>("--expires") { Description = $"How long the token lives: {AccessTokenLifetime.Syntax}. Without it the token does not expire." };
        expires.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text)
            {
                AccessTokenLifetime.Parse(text, out var problem);
                AddProblem(result, problem, "--expires");
            }
        });
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the token among its fields) instead of text." };
        var command = new Command("add", "Add an access token to a user and print it, once: it is not stored, only its salted hash. Use it as the password of the user's name (docker login). Exit code 2 when the user has a token of that name.")
        {
            user, name, scope, expires, json,
        };
        command.SetAction((parsed, token) => host.RunAsync(AccountsModule.ModuleName, async (services, cancellationToken) =>
        {
            var account = await FindUserAsync(services, parsed.GetValue(user)!, cancellationToken);
            var tokenName = parsed.GetValue(name)!;
            var tokenScope = parsed.GetValue(scope)!;
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            var expiresAt = parsed.GetValue(expires) is { } text ? now + AccessTokenLifetime.Parse(text, out _)!.Value : (DateTimeOffset?)null;
            var created = AccessTokenHash.Create();
            if (!await services.GetRequiredService<AccessTokenStore>().AddAsync(account.Id, tokenName, tokenScope, created, expiresAt, cancellationToken))
            {
                throw new CommandUsageException($"user {account.Name} has a token named '{tokenName}' already (see 'forge users tokens list {account.Name}'); 'forge users tokens revoke {account.Name} {tokenName}' removes it");
            }

            var expiry = expiresAt is { } at ? CommandTimes.Format(at) : null;
            await host.Output.WriteLineAsync(parsed.GetValue(json)
                ? JsonSerializer.Serialize(new { user = account.Name, name = tokenName, scope = tokenScope, expires = expiry, token = created.Token }, Json)
                : $"Added token '{tokenName}' ({tokenScope}, {(expiry is null ? "does not expire" : $"expires {expiry}")}) to user {account.Name}. It is shown this once:\n{created.Token}");
            return ExitCodes.Success;
        }, token));
        return command;
    }

    public static Command List(IModuleCommandHost host)
    {
        var user = UserArgument();
        var json = new Option<bool>("--json") { Description = "Print one JSON array instead of a table." };
        var command = new Command("list", "List a user's access tokens: name, scopes, last eight characters, when each was created, expires and was last used (UTC). Never the tokens.")
        {
            user, json,
        };
        command.SetAction((parsed, token) => host.RunAsync(AccountsModule.ModuleName, async (services, cancellationToken) =>
        {
            var account = await FindUserAsync(services, parsed.GetValue(user)!, cancellationToken);
            var tokens = (await services.GetRequiredService<AccessTokenStore>().ListAsync(account.Id, cancellationToken))
                .Select(t => new ListedToken(
                    t.Name, t.Scope, t.LastEight, CommandTimes.Format(t.CreatedUnix),
                    t.ExpiresUnix is { } expiresUnix ? CommandTimes.Format(expiresUnix) : null,
                    t.LastUsedUnix is { } used ? CommandTimes.Format(used) : null))
                .ToList();
            if (parsed.GetValue(json))
            {
                await host.Output.WriteLineAsync(JsonSerializer.Serialize(tokens, Json));
            }
            else if (tokens.Count == 0)
            {
                await host.Output.WriteLineAsync($"User {account.Name} has no access tokens; 'forge users tokens add {account.Name} --name <name> --scope read:package' adds one.");
            }
            else
            {
                await TextTable.WriteAsync(
                    host.Output,
                    ["NAME", "SCOPES", "LAST EIGHT", "CREATED", "EXPIRES", "LAST USED"],
                    tokens.Select(t => new[] { t.Name, t.Scope, t.LastEight, t.Created, t.Expires ?? "never", t.LastUsed ?? "never" }));
            }

            return ExitCodes.Success;
        }, token));
        return command;
    }

    public static Command Revoke(IModuleCommandHost host)
    {
        var user = UserArgument();
        var name = new Argument<string>("token-name") { Description = "The name of the token to revoke." };
        var json = CommandOptions.Json();
        var command = new Command("revoke", "Revoke (delete) a user's access token: it is refused from then on, also by a running host. Exit code 2 when the user has no token of that name.")
        {
            user, name, json,
        };
        command.SetAction((parsed, token) => host.RunAsync(AccountsModule.ModuleName, async (services, cancellationToken) =>
        {
            var account = await FindUserAsync(services, parsed.GetValue(user)!, cancellationToken);
            var tokenName = parsed.GetValue(name)!;
            if (!await services.GetRequiredService<AccessTokenStore>().RevokeAsync(account.Id, tokenName, cancellationToken))
            {
                throw new CommandUsageException($"user {account.Name} has no token named '{tokenName}' (see 'forge users tokens list {account.Name}')");
            }

            await host.Output.WriteLineAsync(parsed.GetValue(json)
                ? JsonSerializer.Serialize(new { user = account.Name, name = tokenName, revoked = true }, Json)
                : $"Revoked token '{tokenName}' of user {account.Name}.");
            return ExitCodes.Success;
        }, token));
        return command;
    }

    private static Argument<string> UserArgument() => new("user") { Description = "The user's name, in any letter case." };

    private static void AddProblem(System.CommandLine.Parsing.OptionResult result, string? problem, string option)
    {
        if (problem is not null)
        {
            result.AddError($"{option}: {problem}");
        }
    }

    private static async Task<Account> FindUserAsync(IServiceProvider services, string name, CancellationToken cancellationToken)
        => (await services.GetRequiredService<AccountStore>().FindAsync(name, cancellationToken))?.Account
            ?? throw new CommandUsageException($"there is no user named '{name}' (see 'forge users list')");

    private sealed record ListedToken(string Name, string Scope, string LastEight, string Created, string? Expires, string? LastUsed);
}
