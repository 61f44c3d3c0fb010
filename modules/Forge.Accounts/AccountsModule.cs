using Forge.Accounts.Cli;
using Forge.Accounts.Schema;
using Forge.Modularity;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Accounts;

/// <summary>
/// User accounts: Forgejo's <c>"user"</c> table (the columns Forge needs), salted password hashes, Forgejo's
/// <c>access_token</c> table (with Forge's expiry beside it), <see cref="IAccountDirectory"/> for modules that
/// authenticate users (the container registry), and the commands <c>users add</c>, <c>users passwd</c>,
/// <c>users list</c> and <c>users tokens add|list|revoke</c>. Its settings: the sign-in limiter's
/// (<see cref="SignInLimitSettings"/>, <c>Forge:Accounts:SignInLimit:*</c>), read and validated here at start.
/// </summary>
public sealed class AccountsModule : IModule, IModuleCommands
{
    public const string ModuleName = "Accounts";

    /// <summary>The module's Meter (the sign-in limiter's metrics).</summary>
    public const string TelemetryName = "Forge.Accounts";

    public string Name => ModuleName;

    public IReadOnlyList<string> Dependencies => [];

    public void Register(ModuleContext context)
    {
        context.Services.AddDbContext<AccountsDbContext>((sp, options) =>
            options.UseForgeAccounts(sp.GetRequiredService<NpgsqlDataSource>()));
        context.AddSchemaMigrations<AccountsDbContext>();
        context.Services.AddSingleton<AccountStore>();
        context.Services.AddSingleton(sp => new VerificationCache(sp.GetRequiredService<TimeProvider>()));
        context.Services.AddSingleton<AccessTokenStore>();
        context.Services.AddSingleton<AccessTokenVerifier>();
        context.Services.AddSingleton(SignInLimitSettings.Read(context.Configuration));
        context.Services.AddSingleton<SignInLimiter>();
        context.Services.AddSingleton<VerificationGate>(sp => new VerificationGate(sp.GetRequiredService<SignInLimitSettings>()));
        context.Services.AddSingleton<InFlightVerifications>();
        context.Services.AddSingleton<SignInTelemetry>();
        context.Services.AddSingleton<SignInGuard>();
        context.AddTelemetrySource(TelemetryName);
        context.Services.AddSingleton<IAccountDirectory, AccountDirectory>();
    }

    public IEnumerable<ModuleCommand> BuildCommands(IModuleCommandHost host)
    {
        yield return new ModuleCommand(["users"], UsersCommands.Add(host));
        yield return new ModuleCommand(["users"], UsersCommands.Passwd(host));
        yield return new ModuleCommand(["users"], UsersCommands.List(host));
        yield return new ModuleCommand(["users", "tokens"], AccessTokenCommands.Add(host));
        yield return new ModuleCommand(["users", "tokens"], AccessTokenCommands.List(host));
        yield return new ModuleCommand(["users", "tokens"], AccessTokenCommands.Revoke(host));
    }
}
