using Forge.Bench.SignIn;
using Forge.Testing;

namespace Forge.Bench.Tests;

/// <summary>
/// The sign-in benchmark small (2 first logins per phase, 2 attackers, 1 s alone, budgets of one failure so that a
/// loaded machine reaches them too) on the test suite's server: both servers start, every legitimate sign-in answers
/// 200 (the benchmark stops otherwise), the limiter throttles the attackers and without it nobody is throttled.
/// Asserts answers, never timings.
/// </summary>
[TestFixture]
public sealed class SignInBenchTests
{
    [Test]
    public async Task The_limiter_throttles_the_flood_and_every_legitimate_sign_in_succeeds()
    {
        var server = await PostgresTestServer.SharedAsync();
        await using var bench = BenchServer.Existing(server.AdminConnectionString);

        var result = await new SignInBench(bench, new SignInBenchOptions
        {
            Users = 2,
            Remembered = 3,
            Attackers = 2,
            Warmup = TimeSpan.FromSeconds(1),
            // Longer than two throttled answers' pause: two first logins alone can be over before any 429 arrives.
            AttackPhaseAtLeast = TimeSpan.FromSeconds(2.5),
            LimiterSettings = new Dictionary<string, string>
            {
                ["Forge__Accounts__SignInLimit__PerAccount"] = "1",
                ["Forge__Accounts__SignInLimit__PerAddress"] = "1",
            },
        }, TestContext.Progress).RunAsync();

        var on = result.LimiterOn;
        var off = result.Contenders.Single(c => c.Contender == SignInBench.LimiterOff);
        Assert.Multiple(() =>
        {
            Assert.That(result.Contenders.Select(c => c.Idle.FreshLogins + c.Attack.FreshLogins), Has.All.EqualTo(4));
            Assert.That(result.Contenders.Select(c => c.Attack.RememberedSignIns), Has.All.GreaterThanOrEqualTo(3));
            Assert.That(on.Attack.AttackThrottled, Is.GreaterThan(0), "the limiter throttles the attackers");
            Assert.That(off.Attack.AttackThrottled, Is.Zero, "without the limiter every guess is verified");
            Assert.That(off.Attack.AttackRefused, Is.EqualTo(off.Attack.AttackAnswers));
            Assert.That(on.Idle.AttackAnswers, Is.Zero);
        });
    }
}
