using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Accounts.Tests;

/// <summary>The sign-in limiter's settings as <c>forge</c> reads them at start: defaults, and one line naming the key for a bad value.</summary>
public sealed class SignInLimitSettingsTests
{
    [Test]
    public void Without_settings_the_limiter_is_on_with_budgets_a_typist_never_reaches()
    {
        var settings = Read();

        Assert.That(settings, Is.EqualTo(new SignInLimitSettings(
            true, 10, 30, TimeSpan.FromMinutes(5), Math.Max(1, Environment.ProcessorCount - 1), 32, 100_000, TimeSpan.FromSeconds(1))));
    }

    [Test]
    public void Every_setting_is_read_from_its_key()
    {
        var settings = Read(
            ("Forge:Accounts:SignInLimit:Enabled", "false"),
            ("Forge:Accounts:SignInLimit:PerAccount", "4"),
            ("Forge:Accounts:SignInLimit:PerAddress", " 7 "),
            ("Forge:Accounts:SignInLimit:Window", "90s"),
            ("Forge:Accounts:SignInLimit:MaxConcurrentDerivations", "3"),
            ("Forge:Accounts:SignInLimit:MaxQueuedDerivations", "0"),
            ("Forge:Accounts:SignInLimit:MaxTrackedKeys", "500"),
            ("Forge:Accounts:SignInLimit:ThrottledPause", "0s"));

        Assert.That(settings, Is.EqualTo(new SignInLimitSettings(false, 4, 7, TimeSpan.FromSeconds(90), 3, 0, 500, TimeSpan.Zero)));
    }

    [TestCase("Enabled", "maybe", "it must be true or false.")]
    [TestCase("PerAccount", "0", "it must be a whole number from 1 to 100,000.")]
    [TestCase("PerAccount", "ten", "it must be a whole number from 1 to 100,000.")]
    [TestCase("PerAddress", "-3", "it must be a whole number from 1 to 100,000.")]
    [TestCase("PerAddress", "100001", "it must be a whole number from 1 to 100,000.")]
    [TestCase("Window", "0s", "it must be between 1s and 24h.")]
    [TestCase("Window", "25h", "it must be between 1s and 24h.")]
    [TestCase("Window", "5", "'5' has no unit (one of h, m, s, ms, us, ns).")]
    [TestCase("MaxConcurrentDerivations", "0", "it must be a whole number from 1 to 1,024.")]
    [TestCase("MaxQueuedDerivations", "-1", "it must be a whole number from 0 to 100,000.")]
    [TestCase("MaxTrackedKeys", "99", "it must be a whole number from 100 to 10,000,000.")]
    [TestCase("ThrottledPause", "2m", "it must be between 0s and 1m.")]
    [TestCase("ThrottledPause", "-1s", "it is negative.")]
    public void A_bad_value_stops_the_start_with_a_line_naming_the_key(string name, string value, string why)
    {
        var key = "Forge:Accounts:SignInLimit:" + name;

        var refused = Assert.Throws<ModuleSettingException>(() => Read((key, value)));

        Assert.That(refused.Message, Is.EqualTo($"{key} is '{value}': {why}"));
    }

    private static SignInLimitSettings Read(params (string Key, string? Value)[] settings)
        => SignInLimitSettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());
}
