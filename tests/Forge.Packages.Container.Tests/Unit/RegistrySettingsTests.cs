using Forge.Modularity;
using Forge.Packages.Container.Registry;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Container.Tests.Unit;

/// <summary>The registry's settings as <c>forge</c> reads them at start: defaults, and one line naming the key for a bad value.</summary>
public sealed class RegistrySettingsTests
{
    [Test]
    public void Without_settings_pulls_need_an_account_and_are_flushed_every_minute()
    {
        var settings = Read();

        Assert.That(settings, Is.EqualTo(new RegistrySettings(false, TimeSpan.FromMinutes(1))));
    }

    [TestCase("1s", 1)]
    [TestCase("90s", 90)]
    [TestCase(" 5m ", 300)]
    [TestCase("1h", 3600)]
    public void The_pull_flush_interval_is_a_Go_duration_from_1s_to_1h(string value, int seconds)
    {
        Assert.That(Read(("Forge:Registry:PullFlushInterval", value)).PullFlushInterval, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase("0s", "Forge:Registry:PullFlushInterval is '0s': it must be between 1s and 1h.")]
    [TestCase("999ms", "Forge:Registry:PullFlushInterval is '999ms': it must be between 1s and 1h.")]
    [TestCase("1h0m1s", "Forge:Registry:PullFlushInterval is '1h0m1s': it must be between 1s and 1h.")]
    [TestCase("-1m", "Forge:Registry:PullFlushInterval is '-1m': it is negative.")]
    [TestCase("60", "Forge:Registry:PullFlushInterval is '60': '60' has no unit (one of h, m, s, ms, us, ns).")]
    [TestCase("soon", "Forge:Registry:PullFlushInterval is 'soon': expected a number (use e.g. 24h, 90m, 1h30m, 45s).")]
    public void A_bad_pull_flush_interval_stops_the_start_with_a_line_naming_the_key(string value, string message)
    {
        var refused = Assert.Throws<ModuleSettingException>(() => Read(("Forge:Registry:PullFlushInterval", value)));

        Assert.That(refused.Message, Is.EqualTo(message));
    }

    [Test]
    public void A_bad_anonymous_pull_is_refused_as_before()
    {
        var refused = Assert.Throws<ModuleSettingException>(() => Read(("Forge:Registry:AnonymousPull", "maybe")));

        Assert.That(refused.Message, Is.EqualTo("Forge:Registry:AnonymousPull is 'maybe': it must be true or false."));
    }

    private static RegistrySettings Read(params (string Key, string? Value)[] settings)
        => RegistrySettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());
}
