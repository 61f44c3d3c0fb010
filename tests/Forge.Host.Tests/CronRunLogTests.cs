using Forge.Host.Scheduling;
using Forge.Modularity;
using Forge.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Host.Tests;

/// <summary>The run record survives a write whose reply was lost: written again, it is found, not doubled.</summary>
public sealed class CronRunLogTests
{
    [Test]
    public async Task A_start_record_written_again_after_a_lost_reply_is_found_not_duplicated()
    {
        // An instant with sub-microsecond ticks, which PostgreSQL cannot keep.
        var clock = new FixedClock(DateTimeOffset.FromUnixTimeSeconds(1_795_000_000).AddTicks(1_234_567));
        await using var world = await ForgeTestWorld.CreateAsync(s => s.AddSingleton<TimeProvider>(clock));
        var log = world.Service<CronRunLog>();

        var first = await log.StartAsync("probe", "node-1", CronRunTrigger.Schedule, null, CancellationToken.None);
        var again = await log.StartAsync("probe", "node-1", CronRunTrigger.Schedule, null, CancellationToken.None);
        var other = await log.StartAsync("probe", "node-2", CronRunTrigger.Schedule, null, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(again, Is.EqualTo(first));
            Assert.That(other, Is.Not.EqualTo(first), "another node's run is a run of its own");
            Assert.That(await world.CountAsync("SELECT count(*) FROM forge_cron_run WHERE task = 'probe'"), Is.EqualTo(2));
        });
    }
}
