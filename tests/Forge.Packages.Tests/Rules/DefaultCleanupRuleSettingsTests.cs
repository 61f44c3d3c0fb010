using Forge.Modularity;
using Forge.Packages.Rules;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Tests.Rules;

/// <summary>The instance's default rule as <c>forge</c> reads it at start: off unless enabled, and one line naming the key for a bad value.</summary>
public sealed class DefaultCleanupRuleSettingsTests
{
    private const string Section = "Forge:Packages:DefaultCleanupRule";

    [Test]
    public void Without_settings_there_is_no_default_rule()
        => Assert.That(Read().Rule, Is.Null);

    [Test]
    public void An_enabled_default_rule_is_read_from_its_keys()
    {
        var rule = Read(("Enabled", " true "), ("KeepCount", "3"), ("RemoveDays", "7"), ("KeepPulledDays", "30"), ("MatchFullName", "True")).Rule;

        Assert.That(rule, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(rule!.Id, Is.Zero);
            Assert.That(rule.Type, Is.EqualTo("container"));
            Assert.That(rule.KeepCount, Is.EqualTo(3));
            Assert.That(rule.RemoveDays, Is.EqualTo(7));
            Assert.That(rule.KeepPulledDays, Is.EqualTo(30));
            Assert.That(rule.MatchFullName, Is.True);
        });
    }

    [TestCase("Enabled", "yes", "it must be true or false.")]
    [TestCase("MatchFullName", "1", "it must be true or false.")]
    [TestCase("KeepCount", "-1", "it must be a whole number, 0 or more.")]
    [TestCase("RemoveDays", "seven", "it must be a whole number, 0 or more.")]
    [TestCase("KeepPulledDays", "2.5", "it must be a whole number, 0 or more.")]
    public void A_bad_value_stops_the_start_with_a_line_naming_the_key(string name, string value, string why)
    {
        var settings = name == "Enabled" ? new[] { (name, value) } : [("Enabled", "true"), (name, value)];

        Assert.That(() => Read(settings), Throws.TypeOf<ModuleSettingException>().With.Message.EqualTo($"{Section}:{name} is '{value}': {why}"));
    }

    private static DefaultCleanupRuleSettings Read(params (string Name, string Value)[] settings)
        => DefaultCleanupRuleSettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{Section}:{s.Name}", s.Value)))
            .Build());
}
