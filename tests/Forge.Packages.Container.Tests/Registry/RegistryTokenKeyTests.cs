using System.Net;
using Forge.Packages.Container.Data;
using Forge.Packages.Container.Tests.Registry.Support;
using Forge.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryCalls;
using static Forge.Packages.Container.Tests.Registry.Support.RegistryTokenCalls;

namespace Forge.Packages.Container.Tests.Registry;

/// <summary>
/// The signing keys of the registry's tokens: made once however many nodes start at once, rotated by the command,
/// the previous key verifying its tokens for their lifetime and not after; a configured key instead of the database's.
/// </summary>
[Category("Registry")]
public sealed class RegistryTokenKeyTests
{
    [Test]
    public async Task Nodes_starting_at_once_make_one_first_key()
    {
        await using var registry = await RegistryWorld.StartAsync();
        // A deployment without a key yet (this host made one at start), and eight nodes' stores inserting the first
        // key at the same moment, each on its own connection.
        await registry.World.ExecuteAsync("DELETE FROM forge_registry_token_key");
        await using var dataSource = NpgsqlDataSource.Create(registry.World.Database.ConnectionString);
        var nodes = Enumerable.Range(0, 8).Select(_ => new TokenKeyStore(dataSource)).ToList();

        var inserted = await Task.WhenAll(nodes.Select((node, i) => node.AddFirstAsync($"node{i}", new byte[32], 1, CancellationToken.None)));

        Assert.That(inserted.Count(i => i), Is.EqualTo(1));
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM forge_registry_token_key"), Is.EqualTo(1));
        Assert.That(await registry.World.ScalarAsync<string>("SELECT kid FROM forge_registry_token_key WHERE is_current"), Is.EqualTo($"node{Array.IndexOf(inserted, true)}"));
    }

    [Test]
    public async Task The_registry_makes_its_first_key_once_at_start_and_every_token_carries_it()
    {
        await using var registry = await RegistryWorld.StartAsync();
        await registry.AddAccountAsync("alice", "pw");
        using var alice = registry.Client("alice", "pw");
        var atStart = await registry.World.CountAsync("SELECT count(*) FROM forge_registry_token_key WHERE is_current");

        var tokens = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => alice.TokenAsync()));

        Assert.That(atStart, Is.EqualTo(1));
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM forge_registry_token_key"), Is.EqualTo(1));
        Assert.That(tokens.Select(t => new JsonWebToken(t).Kid).Distinct().Count(), Is.EqualTo(1));
        Assert.That(registry.Logs, Does.Contain("Made the first signing key"));
    }

    [Test]
    public async Task After_a_rotation_new_tokens_use_the_new_key_and_old_tokens_verify_for_their_lifetime_and_not_after()
    {
        await using var registry = await RegistryWorld.StartAsync(("Forge:Registry:TokenKeyReload", "1s"));
        await registry.AddAccountAsync("alice", "pw");
        using var alice = registry.Client("alice", "pw");
        await alice.PushOkAsync("alice/app", Image(seed: 1), "v1");
        var old = await alice.TokenAsync("repository:alice/app:pull");
        var oldKid = new JsonWebToken(old).Kid;

        var (exitCode, output, error) = await registry.RunForgeAsync("packages", "container", "token-key", "rotate");

        Assert.That(exitCode, Is.Zero, error);
        var newKid = (await registry.CurrentKeyAsync()).Kid;
        Assert.That(newKid, Is.Not.EqualTo(oldKid));
        Assert.That(output, Does.Contain($"Signing key {newKid} is current; {oldKid} verifies the tokens it signed until they expire"));
        // Every node takes the new key within Forge:Registry:TokenKeyReload.
        await Wait.UntilAsync(async () => new JsonWebToken(await alice.TokenAsync()).Kid == newKid);
        using var oldBearer = registry.BearerClient(old);
        using var withinLifetime = await oldBearer.GetAsync("/v2/alice/app/manifests/v1");
        Assert.That(withinLifetime.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // The old key retired longer ago than a token lives: its tokens, even one claiming a later exp, are refused.
        await registry.World.ExecuteAsync("UPDATE forge_registry_token_key SET retired_unix = retired_unix - 3600 WHERE kid = $1", oldKid);
        var secret = await registry.World.ScalarAsync<byte[]>("SELECT secret FROM forge_registry_token_key WHERE kid = $1", oldKid);
        using var forged = registry.BearerClient(SignToken(oldKid, secret!, "alice", "repository:alice/app:pull"));
        await Wait.UntilAsync(async () =>
        {
            using var response = await forged.GetAsync("/v2/alice/app/manifests/v1");
            return response.StatusCode == HttpStatusCode.Unauthorized && Header(response, "WWW-Authenticate").EndsWith("error=\"invalid_token\"", StringComparison.Ordinal);
        });
    }

    [Test]
    public async Task A_rotation_deletes_the_keys_whose_tokens_have_all_expired()
    {
        await using var registry = await RegistryWorld.StartAsync();
        await registry.AddAccountAsync("alice", "pw");
        using var alice = registry.Client("alice", "pw");
        await alice.TokenAsync();
        await registry.RunForgeAsync("packages", "container", "token-key", "rotate");
        await registry.World.ExecuteAsync("UPDATE forge_registry_token_key SET retired_unix = retired_unix - 90000 WHERE NOT is_current");

        var (exitCode, output, _) = await registry.RunForgeAsync("packages", "container", "token-key", "rotate");

        Assert.That(exitCode, Is.Zero);
        Assert.That(output, Does.EndWith("1 expired key(s) deleted." + Environment.NewLine));
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM forge_registry_token_key"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_configured_key_signs_the_tokens_and_the_rotate_command_says_to_change_the_setting()
    {
        var key = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        await using var registry = await RegistryWorld.StartAsync(("Forge:Registry:TokenSigningKey", key));
        await registry.AddAccountAsync("alice", "pw");
        using var alice = registry.Client("alice", "pw");
        await alice.PushOkAsync("alice/app", Image(seed: 1), "v1");

        var token = await alice.TokenAsync("repository:alice/app:pull");
        using var bearer = registry.BearerClient(token);
        using var pulled = await bearer.GetAsync("/v2/alice/app/manifests/v1");
        var (exitCode, output, error) = await registry.RunForgeAsync("packages", "container", "token-key", "rotate");
        var kid = new JsonWebToken(token).Kid;
        using var forged = registry.BearerClient(SignToken(kid, Convert.FromBase64String(key), "alice", "repository:alice/app:pull"));
        using var pulledWithForged = await forged.GetAsync("/v2/alice/app/manifests/v1");

        Assert.That(pulled.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(pulledWithForged.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the configured key is the one that signs");
        Assert.That(await registry.World.CountAsync("SELECT count(*) FROM forge_registry_token_key"), Is.Zero);
        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(output + error, Does.Contain("signed with Forge:Registry:TokenSigningKey: rotate by changing that setting"));
        Assert.That(output + error + registry.Logs, Does.Not.Contain(key));
    }
}
