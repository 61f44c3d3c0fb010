using Forge.Host.Database;
using Npgsql;

namespace Forge.Host.Tests;

/// <summary>A command run while the host is up must not take the host's embedded database away.</summary>
[NonParallelizable]
public sealed class EmbeddedPostgresOwnershipTests
{
    private string root = null!;

    [SetUp]
    public void CreateFolder() => root = Path.Combine(Path.GetTempPath(), $"forge-embedded-{Guid.NewGuid():N}");

    [TearDown]
    public void DeleteFolder()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public async Task A_second_process_attaches_to_the_running_cluster_and_leaves_it_running()
    {
        await using var owner = await EmbeddedPostgres.StartAsync(root);
        await using (var attached = await EmbeddedPostgres.StartAsync(root))
        {
            Assert.Multiple(() =>
            {
                Assert.That(owner.IsOwner, Is.True);
                Assert.That(attached.IsOwner, Is.False);
                Assert.That(attached.Port, Is.EqualTo(owner.Port));
            });
            Assert.That(await SelectOneAsync(attached.ConnectionString), Is.EqualTo(1));
        }

        NpgsqlConnection.ClearAllPools();
        Assert.That(await SelectOneAsync(owner.ConnectionString), Is.EqualTo(1), "the owner's cluster survives the attached user");
    }

    [Test]
    public async Task A_cluster_left_running_by_a_dead_owner_is_taken_over_by_the_next_start()
    {
        var first = await EmbeddedPostgres.StartAsync(root);
        // The owner dies without stopping its cluster: the lock goes with the process, the server stays.
        typeof(EmbeddedPostgres).GetField("ownerLock", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(first)!.As<FileStream>().Dispose();

        await using var next = await EmbeddedPostgres.StartAsync(root);

        Assert.Multiple(async () =>
        {
            Assert.That(next.IsOwner, Is.True);
            Assert.That(await SelectOneAsync(next.ConnectionString), Is.EqualTo(1));
        });
    }

    [TestCase(300)]
    [TestCase(700)]
    [TestCase(1100)]
    [TestCase(1500)]
    [TestCase(2000)]
    public async Task A_start_cancelled_at_any_moment_leaves_no_server_running(int cancelAfterMilliseconds)
    {
        using var stop = new CancellationTokenSource(cancelAfterMilliseconds);
        try
        {
            await using var server = await EmbeddedPostgres.StartAsync(root, cancellationToken: stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped during start-up: what matters is what is left.
        }

        try
        {
            Assert.That(await Support.PostgresProcesses.LeftAfterStopAsync(root), Is.Empty);
        }
        finally
        {
            await Support.PostgresProcesses.StopLeftoversAsync(root);
        }
    }

    private static async Task<int> SelectOneAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}

internal static class ObjectExtensions
{
    public static T As<T>(this object value) => (T)value;
}
