using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Accounts.Cli;

/// <summary><c>users add</c>, <c>users passwd</c> and <c>users list</c>. A password comes on standard input, never on the command line.</summary>
internal static class UsersCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Add(IModuleCommandHost host)
    {
        var name = new Argument<string>("name") { Description = $"The new user's name: 1 to {AccountNameRules.MaximumLength} lower-case letters and digits, with single '.', '_' or '-' between them." };
        name.Validators.Add(result =>
        {
            if (AccountNameRules.Problem(result.GetValueOrDefault<string>()) is { } problem)
            {
                result.AddError(problem);
            }
        });
        var command = new Command("add", $"Add a user. The password is the first line of standard input (or asked for on a terminal): {PasswordRules.MinimumLength} to {PasswordRules.MaximumLength} characters. Exit code 2 when the name is taken.");
        return WithPassword(host, command, name, (store, userName, password, cancellationToken) => store.AddAsync(userName, password, cancellationToken),
            userName => $"there is a user named '{userName}' already (names are unique in any letter case); 'forge users passwd {userName}' sets its password",
            account => $"Added user {account.Name} (id {account.Id}).");
    }

    public static Command Passwd(IModuleCommandHost host)
    {
        var name = new Argument<string>("name") { Description = "The user's name, in any letter case." };
        var command = new Command("passwd", "Set a user's password. The new password is the first line of standard input (or asked for on a terminal). Exit code 2 when there is no such user.");
        return WithPassword(host, command, name, (store, userName, password, cancellationToken) => store.SetPasswordAsync(userName, password, cancellationToken),
            userName => $"there is no user named '{userName}' (see 'forge users list')",
            account => $"Changed the password of user {account.Name} (id {account.Id}).");
    }

    public static Command List(IModuleCommandHost host)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON array instead of a table." };
        var command = new Command("list", "List the users: id, name and when each was added (UTC).");
        command.Options.Add(json);
        command.SetAction((parsed, token) => host.RunAsync(AccountsModule.ModuleName, async (services, cancellationToken) =>
        {
            var users = (await services.GetRequiredService<AccountStore>().ListAsync(cancellationToken))
                .Select(u => new ListedUser(u.Id, u.Name, CommandTimes.Format(u.Created)))
                .ToList();
            if (parsed.GetValue(json))
            {
                await host.Output.WriteLineAsync(JsonSerializer.Serialize(users, Json));
            }
            else if (users.Count == 0)
            {
                await host.Output.WriteLineAsync("No users; 'forge users add <name>' adds one.");
            }
            else
            {
                await TextTable.WriteAsync(host.Output, ["ID", "NAME", "CREATED"], users.Select(u => new[] { u.Id.ToString(CultureInfo.InvariantCulture), u.Name, u.Created }));
            }

            return ExitCodes.Success;
        }, token));
        return command;
    }

    /// <summary>
    /// A command that reads a password (before it touches the database, so that bad input costs nothing),
    /// hashes it and hands it to <paramref name="write"/>; null from that is <paramref name="refusal"/>.
    /// </summary>
    private static Command WithPassword(
        IModuleCommandHost host,
        Command command,
        Argument<string> name,
        Func<AccountStore, string, StoredPassword, CancellationToken, Task<Account?>> write,
        Func<string, string> refusal,
        Func<Account, string> done)
    {
        var json = CommandOptions.Json();
        command.Arguments.Add(name);
        command.Options.Add(json);
        command.SetAction(async (parsed, token) =>
        {
            var userName = parsed.GetValue(name)!;
            var password = await PasswordInput.ReadAsync(token);
            return await host.RunAsync(AccountsModule.ModuleName, async (services, cancellationToken) =>
            {
                var account = await write(services.GetRequiredService<AccountStore>(), userName, PasswordHash.Create(password), cancellationToken)
                    ?? throw new CommandUsageException(refusal(userName));
                await host.Output.WriteLineAsync(parsed.GetValue(json) ? JsonSerializer.Serialize(new { id = account.Id, name = account.Name }, Json) : done(account));
                return ExitCodes.Success;
            }, token);
        });
        return command;
    }

    private sealed record ListedUser(long Id, string Name, string Created);
}
