namespace Forge.Soak;

/// <summary>How a scenario runs: bounded by <see cref="Duration"/>, reproducible by <see cref="Seed"/>.</summary>
public sealed record SoakOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(2);
    public int Writers { get; init; } = 4;

    /// <summary>The cleanups' <c>OlderThan</c>: writers pause shorter and longer than this.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(2);

    public int Seed { get; init; } = 1;

    /// <summary>Small batches: more transactions, more moments for a race or a kill to land in.</summary>
    public int BatchSize { get; init; } = 5;

    /// <summary>The crash scenario goes on past <see cref="Duration"/> (up to three times it) until this many kills landed after a run's first deletion.</summary>
    public int MinimumKillsAfterFirstDeletion { get; init; } = 1;

    /// <summary>The crash scenario goes on past <see cref="Duration"/> (up to three times it) until it killed this many processes.</summary>
    public int MinimumKills { get; init; } = 4;
}
