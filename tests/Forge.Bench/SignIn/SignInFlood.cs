using System.Net;

namespace Forge.Bench.SignIn;

/// <summary>What the attackers got so far.</summary>
public readonly record struct FloodCounts(long Answers, long Refused, long Throttled);

/// <summary>
/// Clients sending wrong passwords as fast as they are answered, Retry-After ignored, each from its own loopback address
/// (127.0.0.101 on): the even ones guess the password of <c>victim</c>, the odd ones spray unknown names.
/// </summary>
public sealed class SignInFlood : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> clients;
    private long answers;
    private long refused;
    private long throttled;

    public SignInFlood(string serverHost, int attackers, string victim)
        => clients = Enumerable.Range(0, attackers).Select(i => Task.Run(() => AttackAsync(serverHost, i, victim))).ToList();

    public FloodCounts Counts => new(Interlocked.Read(ref answers), Interlocked.Read(ref refused), Interlocked.Read(ref throttled));

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(clients);
    }

    public void Dispose() => stop.Dispose();

    private async Task AttackAsync(string serverHost, int attacker, string victim)
    {
        using var client = new SignInClient(serverHost, SignInClient.Loopback(101 + attacker));
        for (var guess = 0; !stop.IsCancellationRequested; guess++)
        {
            var name = attacker % 2 == 0 ? victim : $"nobody-{attacker}-{guess}";
            SignInAnswer answer;
            try
            {
                answer = await client.SignInAsync(name, $"guess-{attacker}-{guess}", stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref answers);
            if (answer.Status == HttpStatusCode.Unauthorized)
            {
                Interlocked.Increment(ref refused);
            }
            else if (answer.Status == HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref throttled);
            }
        }
    }
}
