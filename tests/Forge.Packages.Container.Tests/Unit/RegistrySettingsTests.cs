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

        Assert.That(settings.AnonymousPull, Is.False);
        Assert.That(settings.PullFlushInterval, Is.EqualTo(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public void Without_settings_tokens_are_for_container_registry_live_15m_and_are_signed_with_the_database_keys()
    {
        var tokens = Read().Tokens;

        Assert.That(tokens.Service, Is.EqualTo("container_registry"));
        Assert.That(tokens.BaseUrl, Is.Null);
        Assert.That(tokens.Lifetime, Is.EqualTo(TimeSpan.FromMinutes(15)));
        Assert.That(tokens.KeyReload, Is.EqualTo(TimeSpan.FromMinutes(1)));
        Assert.That(tokens.SigningKey, Is.Null);
    }

    [Test]
    public void The_token_settings_are_read()
    {
        var key = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

        var tokens = Read(
            ("Forge:Registry:TokenService", "forge.example"),
            ("Forge:Registry:BaseUrl", "https://forge.example.com/"),
            ("Forge:Registry:TokenLifetime", "1h"),
            ("Forge:Registry:TokenKeyReload", "10s"),
            ("Forge:Registry:TokenSigningKey", key)).Tokens;

        Assert.That(tokens.Service, Is.EqualTo("forge.example"));
        Assert.That(tokens.BaseUrl, Is.EqualTo(new Uri("https://forge.example.com")));
        Assert.That(tokens.Lifetime, Is.EqualTo(TimeSpan.FromHours(1)));
        Assert.That(tokens.KeyReload, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(tokens.SigningKey!.Value.ToArray(), Is.EqualTo(Convert.FromBase64String(key)));
        Assert.That(tokens.ToString(), Does.Not.Contain(key));
    }

    [TestCase("Forge:Registry:TokenLifetime", "30s", "Forge:Registry:TokenLifetime is '30s': it must be between 1m and 24h.")]
    [TestCase("Forge:Registry:TokenLifetime", "25h", "Forge:Registry:TokenLifetime is '25h': it must be between 1m and 24h.")]
    [TestCase("Forge:Registry:TokenService", "a \"b\"", "Forge:Registry:TokenService is 'a \"b\"': it must be printable ASCII without spaces, quotes or backslashes.")]
    [TestCase("Forge:Registry:BaseUrl", "ftp://forge", "Forge:Registry:BaseUrl is 'ftp://forge': it must be an absolute http or https URL without a query, e.g. https://forge.example.com.")]
    public void A_bad_token_setting_stops_the_start_with_a_line_naming_the_key(string key, string value, string message)
    {
        var refused = Assert.Throws<ModuleSettingException>(() => Read((key, value)));

        Assert.That(refused.Message, Is.EqualTo(message));
    }

    [TestCase("c2hvcnQta2V5LTEyMzQ1Ng==", "decodes to 16 bytes")]
    [TestCase("not base64 at all!", "is not base64")]
    public void A_bad_signing_key_is_refused_without_showing_it(string value, string why)
    {
        var refused = Assert.Throws<ModuleSettingException>(() => Read(("Forge:Registry:TokenSigningKey", value)));

        Assert.That(refused.Message, Does.StartWith("Forge:Registry:TokenSigningKey ").And.Contain(why));
        Assert.That(refused.Message, Does.Not.Contain(value));
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
