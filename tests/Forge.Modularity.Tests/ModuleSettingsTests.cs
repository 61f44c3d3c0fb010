using Microsoft.Extensions.Configuration;

namespace Forge.Modularity.Tests;

/// <summary>A module's settings as the shared reader reads them: the fallback when unset, and one line naming the key and the value when bad.</summary>
public sealed class ModuleSettingsTests
{
    private const string Key = "Forge:Test:Setting";

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    public void An_unset_or_blank_key_gives_the_fallback(string? text)
    {
        var configuration = With(text);

        Assert.Multiple(() =>
        {
            Assert.That(ModuleSettings.Boolean(configuration, Key, true), Is.True);
            Assert.That(ModuleSettings.WholeNumber(configuration, Key, 7, 1, 10), Is.EqualTo(7));
            Assert.That(ModuleSettings.WholeNumber(configuration, Key, 7, 0), Is.EqualTo(7));
            Assert.That(ModuleSettings.Duration(configuration, Key, TimeSpan.FromMinutes(5), TimeSpan.Zero, TimeSpan.FromHours(1)), Is.EqualTo(TimeSpan.FromMinutes(5)));
        });
    }

    [TestCase("true", true)]
    [TestCase("False", false)]
    [TestCase(" TRUE ", true)]
    public void A_boolean_is_true_or_false_in_any_case(string text, bool expected)
        => Assert.That(ModuleSettings.Boolean(With(text), Key, !expected), Is.EqualTo(expected));

    [TestCase("maybe")]
    [TestCase("1")]
    [TestCase("yes")]
    public void A_bad_boolean_is_refused_naming_the_key_and_the_value(string text)
        => Refused(() => ModuleSettings.Boolean(With(text), Key, false), $"{Key} is '{text}': it must be true or false.");

    [TestCase("1", 1)]
    [TestCase("10", 10)]
    [TestCase(" 4 ", 4)]
    public void A_whole_number_in_range_is_read_with_both_bounds_allowed(string text, int expected)
        => Assert.That(ModuleSettings.WholeNumber(With(text), Key, 5, 1, 10), Is.EqualTo(expected));

    [TestCase("0")]
    [TestCase("11")]
    [TestCase("-3")]
    [TestCase("+3")]
    [TestCase("ten")]
    [TestCase("2.5")]
    [TestCase("1,000")]
    [TestCase("99999999999")]
    public void A_whole_number_outside_its_range_or_not_one_is_refused(string text)
        => Refused(() => ModuleSettings.WholeNumber(With(text), Key, 5, 1, 10), $"{Key} is '{text}': it must be a whole number from 1 to 10.");

    [Test]
    public void The_range_of_a_refused_whole_number_is_written_with_thousands_separated()
        => Refused(() => ModuleSettings.WholeNumber(With("99"), Key, 100_000, 100, 10_000_000), $"{Key} is '99': it must be a whole number from 100 to 10,000,000.");

    [TestCase("0", 0)]
    [TestCase("2147483647", int.MaxValue)]
    public void A_whole_number_with_only_a_minimum_is_read_up_to_the_largest_int(string text, int expected)
        => Assert.That(ModuleSettings.WholeNumber(With(text), Key, 5, 0), Is.EqualTo(expected));

    [TestCase("-1")]
    [TestCase("2147483648")]
    [TestCase("many")]
    public void A_whole_number_with_only_a_minimum_is_refused_saying_so(string text)
        => Refused(() => ModuleSettings.WholeNumber(With(text), Key, 5, 0), $"{Key} is '{text}': it must be a whole number, 0 or more.");

    [Test]
    public void A_whole_number_cannot_have_a_negative_minimum()
        => Assert.That(() => ModuleSettings.WholeNumber(With("1"), Key, 5, -1, 10), Throws.TypeOf<ArgumentOutOfRangeException>());

    [TestCase("1s", 1)]
    [TestCase("90s", 90)]
    [TestCase("1h", 3600)]
    public void A_duration_in_range_is_read_with_both_bounds_allowed(string text, int seconds)
        => Assert.That(ModuleSettings.Duration(With(text), Key, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)), Is.EqualTo(TimeSpan.FromSeconds(seconds)));

    [TestCase("999ms")]
    [TestCase("0s")]
    [TestCase("1h0m1s")]
    public void A_duration_outside_its_range_is_refused_with_the_range(string text)
        => Refused(
            () => ModuleSettings.Duration(With(text), Key, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            $"{Key} is '{text}': it must be between 1s and 1h.");

    [TestCase("5", "'5' has no unit (one of h, m, s, ms, us, ns).")]
    [TestCase("-1s", "it is negative.")]
    [TestCase("1d", "unknown unit 'd'")]
    public void A_duration_that_does_not_parse_is_refused_with_what_is_wrong(string text, string why)
        => Assert.That(
            () => ModuleSettings.Duration(With(text), Key, TimeSpan.FromMinutes(1), TimeSpan.Zero, TimeSpan.FromHours(1)),
            Throws.TypeOf<ModuleSettingException>()
                .With.Message.StartWith($"{Key} is '{text}': ").And.Message.Contains(why).And.Message.Not.Contains('\n'));

    private static void Refused(TestDelegate read, string message)
        => Assert.That(read, Throws.TypeOf<ModuleSettingException>().With.Message.EqualTo(message));

    private static IConfiguration With(string? text)
        => new ConfigurationBuilder().AddInMemoryCollection([new KeyValuePair<string, string?>(Key, text)]).Build();
}
