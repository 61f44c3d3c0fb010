namespace Forge.Accounts.Tests;

/// <summary>The bound on concurrent PBKDF2 work: the slots, the two queues and their limits.</summary>
public sealed class VerificationGateTests
{
    [Test]
    public async Task No_more_work_runs_at_once_than_the_gate_has_slots()
    {
        var gate = new VerificationGate(maxConcurrent: 2, maxQueued: 100);
        using var release = new ManualResetEventSlim();
        var running = 0;
        var most = 0;

        var works = Enumerable.Range(0, 5).Select(_ => Task.Run(() => gate.RunAsync(false, () =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            release.Wait(TimeSpan.FromMinutes(1));
            Interlocked.Decrement(ref running);
            return now;
        }))).ToList();
        await WaitUntil(() => gate.Load == (2, 3) && Volatile.Read(ref running) == 2);
        release.Set();
        var outcomes = await Task.WhenAll(works);

        Assert.Multiple(() =>
        {
            Assert.That(outcomes, Has.All.Property(nameof(GateOutcome<int>.Ran)).True);
            Assert.That(most, Is.EqualTo(2), "two ran while three waited, and never more than two after");
            Assert.That(gate.Ran, Is.EqualTo(5));
            Assert.That(gate.Load, Is.EqualTo((0, 0)));
        });
    }

    [Test]
    public async Task A_freed_slot_goes_to_clean_work_before_suspect_work_that_waited_longer()
    {
        var gate = new VerificationGate(maxConcurrent: 1, maxQueued: 8);
        using var release = new ManualResetEventSlim();
        var order = new List<string>();
        var blocker = await OccupyAsync(gate, release);

        var suspects = Enumerable.Range(0, 2).Select(i => gate.RunAsync(true, () => Record(order, $"suspect{i}"))).ToList();
        var clean = Enumerable.Range(0, 2).Select(i => gate.RunAsync(false, () => Record(order, $"clean{i}"))).ToList();
        await WaitUntil(() => gate.Load.Waiting == 4);
        release.Set();
        await Task.WhenAll(suspects.Concat(clean));
        await blocker;

        Assert.That(string.Join(" ", order), Is.EqualTo("clean0 clean1 suspect0 suspect1"));
    }

    [Test]
    public async Task Work_that_finds_its_queue_full_is_refused_at_once_and_suspects_get_a_quarter_of_the_queue()
    {
        var gate = new VerificationGate(maxConcurrent: 1, maxQueued: 8);
        using var release = new ManualResetEventSlim();
        var blocker = await OccupyAsync(gate, release);

        var suspects = Enumerable.Range(0, 3).Select(_ => gate.RunAsync(true, () => 1)).ToList();
        var clean = Enumerable.Range(0, 9).Select(_ => gate.RunAsync(false, () => 1)).ToList();
        var refusedAtOnce = suspects.Concat(clean).Where(t => t.IsCompleted).Select(t => t.Result.Ran).ToList();
        release.Set();
        var all = await Task.WhenAll(suspects.Concat(clean));
        await blocker;

        Assert.Multiple(() =>
        {
            Assert.That(refusedAtOnce, Has.Count.EqualTo(2).And.All.False, "one suspect over its 2 and one clean over its 8");
            Assert.That(all.Count(o => o.Ran), Is.EqualTo(10));
            Assert.That(gate.Ran, Is.EqualTo(11));
        });
    }

    private static string Record(List<string> order, string name)
    {
        lock (order)
        {
            order.Add(name);
        }

        return name;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>Takes the gate's one slot with work that runs until <paramref name="release"/> is set; the work's task.</summary>
    internal static async Task<Task> OccupyAsync(VerificationGate gate, ManualResetEventSlim release)
    {
        var blocker = Task.Run(() => gate.RunAsync(false, () => release.Wait(TimeSpan.FromMinutes(1))));
        await WaitUntil(() => gate.Load.Running == 1);
        return blocker;
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
