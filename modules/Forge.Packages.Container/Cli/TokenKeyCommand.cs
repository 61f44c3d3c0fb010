using System.CommandLine;
using Forge.Modularity;
using Forge.Packages.Container.Registry;
using Forge.Packages.Container.Registry.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Container.Cli;

/// <summary>
/// <c>packages container token-key rotate</c>: makes a new signing key of the registry's tokens current; the previous
/// one keeps verifying the tokens it signed until they expire. Prints key ids, never keys.
/// </summary>
internal static class TokenKeyCommand
{
    public static Command Build(IModuleCommandHost host)
    {
        var rotate = new Command("rotate", "Make a new signing key of the registry's bearer tokens current (every node uses it within Forge:Registry:TokenKeyReload); tokens signed with the previous key stay valid until they expire.");
        rotate.SetAction((parsed, token) => host.RunAsync(ContainerModule.ModuleName, async (services, cancellationToken) =>
        {
            if (services.GetRequiredService<RegistrySettings>().Tokens.SigningKey is not null)
            {
                throw new CommandUsageException(
                    $"the registry's tokens are signed with {RegistryTokenSettings.SigningKeyKey}: rotate by changing that setting on every node");
            }

            var (kid, retired, deleted) = await services.GetRequiredService<TokenSigningKeys>().RotateAsync(cancellationToken);
            await host.Output.WriteLineAsync($"Signing key {kid} is current; {(retired is null ? "there was no key before it" : $"{retired} verifies the tokens it signed until they expire")}; {deleted} expired key(s) deleted.");
            return ExitCodes.Success;
        }, token));

        var command = new Command("token-key", "The signing keys of the registry's bearer tokens (kept in the database, shared by every node).");
        command.Subcommands.Add(rotate);
        return command;
    }
}
