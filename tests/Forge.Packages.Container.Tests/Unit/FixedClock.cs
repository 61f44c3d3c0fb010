namespace Forge.Packages.Container.Tests.Unit;

/// <summary>A clock that always reads the same instant.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public FixedClock(long unixSeconds)
        : this(DateTimeOffset.FromUnixTimeSeconds(unixSeconds))
    {
    }

    public override DateTimeOffset GetUtcNow() => now;
}
