namespace Forge.Modularity.Tests;

/// <summary>The Retry-After value of a wait: whole seconds, rounded up, never below one.</summary>
public sealed class RetryAfterSecondsTests
{
    [TestCase(0, "1")]
    [TestCase(1, "1")]
    [TestCase(999, "1")]
    [TestCase(1000, "1")]
    [TestCase(1001, "2")]
    [TestCase(59_500, "60")]
    [TestCase(3_600_000, "3600")]
    public void A_wait_is_written_as_whole_seconds_rounded_up_and_at_least_one(int milliseconds, string expected)
        => Assert.That(RetryAfterSeconds.Format(TimeSpan.FromMilliseconds(milliseconds)), Is.EqualTo(expected));

    [Test]
    public void A_negative_wait_is_one_second()
        => Assert.That(RetryAfterSeconds.Format(TimeSpan.FromSeconds(-5)), Is.EqualTo("1"));
}
