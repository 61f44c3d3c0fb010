namespace Forge.Modularity.Tests;

/// <summary>The typed settings of a cron task: each accepts what its rule allows and says what is wrong otherwise.</summary>
public sealed class CronSettingTests
{
    [Test]
    public void A_duration_setting_parses_a_Go_duration()
    {
        var setting = CronSetting.Duration("OlderThan", "24h");

        AssertAccepted(setting, "1h30m", TimeSpan.FromMinutes(90));
    }

    [Test]
    public void A_duration_below_the_minimum_is_refused_naming_the_minimum()
    {
        var setting = CronSetting.Duration("OlderThan", "24h", minimum: TimeSpan.FromHours(1));

        var error = setting.Validate("30m", out var parsed);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo("must be at least 1h"));
            Assert.That(parsed, Is.Null);
        });
    }

    [Test]
    public void A_duration_at_the_minimum_is_accepted()
    {
        var setting = CronSetting.Duration("OlderThan", "24h", minimum: TimeSpan.FromHours(1));

        Assert.That(setting.Validate("60m", out _), Is.Null);
    }

    [TestCase("438001h")]
    [TestCase("100000000h")]
    public void A_duration_past_fifty_years_is_refused_naming_the_maximum(string value)
    {
        // A cutoff that far back is before 1970, or not a date at all: a typo, not a wish.
        var error = CronSetting.Duration("OlderThan", "24h").Validate(value, out var parsed);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo("must be at most 438000h (50 years)"));
            Assert.That(parsed, Is.Null);
        });
    }

    [Test]
    public void A_duration_of_fifty_years_is_accepted()
        => Assert.That(CronSetting.Duration("OlderThan", "24h").Validate("438000h", out _), Is.Null);

    [Test]
    public void A_duration_setting_refuses_what_is_not_a_duration()
    {
        var setting = CronSetting.Duration("OlderThan", "24h");

        Assert.That(setting.Validate("1d", out _), Does.Contain("unknown unit 'd'"));
    }

    [TestCase("1", 1)]
    [TestCase("500", 500)]
    [TestCase("100000", 100000)]
    [TestCase(" 42 ", 42)]
    public void An_integer_setting_accepts_whole_numbers_in_its_range(string text, int expected)
    {
        var setting = CronSetting.Integer("BatchSize", 500, 1, 100000);

        AssertAccepted(setting, text, expected);
    }

    [TestCase("0")]
    [TestCase("-5")]
    [TestCase("100001")]
    public void An_integer_outside_the_range_is_refused_naming_the_range(string text)
    {
        var setting = CronSetting.Integer("BatchSize", 500, 1, 100000);

        Assert.That(setting.Validate(text, out _), Is.EqualTo("must be between 1 and 100000"));
    }

    [TestCase("")]
    [TestCase("lots")]
    [TestCase("1.5")]
    [TestCase("1e3")]
    public void An_integer_setting_refuses_what_is_not_a_whole_number(string text)
    {
        var setting = CronSetting.Integer("BatchSize", 500, 1, 100000);

        Assert.That(setting.Validate(text, out _), Is.EqualTo("is not a whole number"));
    }

    [TestCase("true", true)]
    [TestCase("false", false)]
    [TestCase("True", true)]
    [TestCase(" FALSE ", false)]
    public void A_boolean_setting_accepts_true_and_false(string text, bool expected)
    {
        var setting = CronSetting.Boolean("DryRun", false);

        AssertAccepted(setting, text, expected);
    }

    [TestCase("")]
    [TestCase("yes")]
    [TestCase("1")]
    [TestCase("on")]
    public void A_boolean_setting_refuses_anything_but_true_or_false(string text)
    {
        var setting = CronSetting.Boolean("DryRun", false);

        Assert.That(setting.Validate(text, out _), Is.EqualTo("must be true or false"));
    }

    [Test]
    public void Each_setting_keeps_its_default_in_the_form_it_accepts()
    {
        CronSetting[] settings =
        [
            CronSetting.Duration("OlderThan", "24h"),
            CronSetting.Integer("BatchSize", 500, 1, 100000),
            CronSetting.Boolean("DryRun", true),
        ];

        Assert.Multiple(() =>
        {
            Assert.That(settings.Select(s => s.DefaultValue), Is.EqualTo((string[])["24h", "500", "true"]));
            Assert.That(settings.Select(s => s.Validate(s.DefaultValue, out _)), Has.All.Null);
        });
    }

    private static void AssertAccepted(CronSetting setting, string text, object expected)
    {
        var error = setting.Validate(text, out var parsed);

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.Null);
            Assert.That(parsed, Is.EqualTo(expected));
        });
    }
}
