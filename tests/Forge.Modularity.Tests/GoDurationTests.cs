namespace Forge.Modularity.Tests;

/// <summary>Go-style durations as operators write them in configuration (Forgejo's app.ini form).</summary>
public sealed class GoDurationTests
{
    [TestCase("24h", 24 * 3600.0)]
    [TestCase("90m", 90 * 60.0)]
    [TestCase("1h30m", 90 * 60.0)]
    [TestCase("1.5h", 90 * 60.0)]
    [TestCase("45s", 45.0)]
    [TestCase("0", 0.0)]
    [TestCase("500ms", 0.5)]
    [TestCase("2h45m30s", (2 * 3600) + (45 * 60) + 30.0)]
    public void A_valid_duration_parses_to_its_length(string text, double seconds)
    {
        var parsed = GoDuration.TryParse(text, out var value, out var error);

        Assert.Multiple(() =>
        {
            Assert.That(parsed, Is.True, error);
            Assert.That(value, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
        });
    }

    [TestCase("", "empty")]
    [TestCase("-1h", "negative")]
    [TestCase("10", "'10' has no unit")]
    [TestCase("1d", "unknown unit 'd'")]
    [TestCase("h", "expected a number")]
    [TestCase("1..5h", "expected a number")]
    [TestCase("300000000h", "too long")]
    [TestCase("10000000000000000000h", "too long")]
    [TestCase("100000000000000000000000000000s", "too long")]
    public void An_invalid_duration_is_refused_with_what_is_wrong(string text, string reason)
    {
        var parsed = GoDuration.TryParse(text, out _, out var error);

        Assert.Multiple(() =>
        {
            Assert.That(parsed, Is.False);
            Assert.That(error, Does.Contain(reason));
        });
    }

    [Test]
    public void Parse_of_an_invalid_duration_throws_naming_the_text_and_the_reason()
    {
        Assert.That(() => GoDuration.Parse("1d"), Throws.TypeOf<FormatException>()
            .With.Message.Contains("'1d'").And.Message.Contains("unknown unit 'd'"));
    }

    [TestCase("24h", "24h")]
    [TestCase("90m", "1h30m")]
    [TestCase("0", "0s")]
    [TestCase("45s", "45s")]
    [TestCase("2h45m30s", "2h45m30s")]
    [TestCase("1.5h", "1h30m")]
    [TestCase("3600s", "1h")]
    public void Format_writes_the_shortest_form(string text, string expected)
    {
        Assert.That(GoDuration.Format(GoDuration.Parse(text)), Is.EqualTo(expected));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(59)]
    [TestCase(3600)]
    [TestCase(86400 + 61)]
    [TestCase(30 * 86400)]
    public void Format_parses_back_to_the_same_whole_seconds(int seconds)
    {
        var duration = TimeSpan.FromSeconds(seconds);

        Assert.That(GoDuration.Parse(GoDuration.Format(duration)), Is.EqualTo(duration));
    }
}
