using System.Globalization;
using Forge.Host.Scheduling;

namespace Forge.Host.Tests;

/// <summary>The forms a task's Schedule may take, and when each fires next.</summary>
public sealed class CronScheduleTests
{
    // A Wednesday; schedules are in the server's time zone, so times are local.
    private static readonly DateTimeOffset After = Local("2026-03-18 10:20:30");

    [TestCase("@yearly", "0 0 0 1 1 ?")]
    [TestCase("@annually", "0 0 0 1 1 ?")]
    [TestCase("@monthly", "0 0 0 1 * ?")]
    [TestCase("@weekly", "0 0 0 ? * SUN")]
    [TestCase("@daily", "0 0 0 * * ?")]
    [TestCase("@midnight", "0 0 0 * * ?")]
    [TestCase("@hourly", "0 0 * * * ?")]
    public void A_descriptor_maps_to_a_Quartz_cron_expression(string descriptor, string expression)
    {
        var schedule = CronSchedule.Parse(descriptor);

        Assert.Multiple(() =>
        {
            Assert.That(schedule.CronExpression, Is.EqualTo(expression));
            Assert.That(schedule.Interval, Is.Null);
        });
    }

    [TestCase("@yearly", "2027-01-01 00:00:00")]
    [TestCase("@annually", "2027-01-01 00:00:00")]
    [TestCase("@monthly", "2026-04-01 00:00:00")]
    [TestCase("@weekly", "2026-03-22 00:00:00")]
    [TestCase("@daily", "2026-03-19 00:00:00")]
    [TestCase("@midnight", "2026-03-19 00:00:00")]
    [TestCase("@hourly", "2026-03-18 11:00:00")]
    public void A_descriptor_fires_next_at_its_next_boundary(string descriptor, string next)
    {
        var schedule = CronSchedule.Parse(descriptor);

        Assert.That(schedule.NextAfter(After), Is.EqualTo(Local(next)));
    }

    [Test]
    public void Every_with_a_duration_is_an_interval()
    {
        var schedule = CronSchedule.Parse("@every 90s");

        Assert.Multiple(() =>
        {
            Assert.That(schedule.Interval, Is.EqualTo(TimeSpan.FromSeconds(90)));
            Assert.That(schedule.CronExpression, Is.Null);
            Assert.That(schedule.NextAfter(After), Is.EqualTo(After.AddSeconds(90)));
        });
    }

    [Test]
    public void A_Quartz_cron_expression_is_taken_as_it_is()
    {
        var schedule = CronSchedule.Parse("0 30 2 * * ?");

        Assert.Multiple(() =>
        {
            Assert.That(schedule.CronExpression, Is.EqualTo("0 30 2 * * ?"));
            Assert.That(schedule.NextAfter(After), Is.EqualTo(Local("2026-03-19 02:30:00")));
        });
    }

    [Test]
    public void A_five_field_cron_is_refused_with_the_Quartz_form_to_use()
    {
        Assert.That(() => CronSchedule.Parse("30 2 * * *"), Throws.TypeOf<FormatException>()
            .With.Message.Contains("has 5 fields").And.Message.Contains("'0 30 2 * * ?'"));
    }

    [TestCase("", "empty")]
    [TestCase("   ", "empty")]
    [TestCase("every day at noon", "is not a Quartz cron expression")]
    [TestCase("0 0 25 * * ?", "is not a Quartz cron expression")]
    [TestCase("@fortnightly", "unknown descriptor '@fortnightly'")]
    [TestCase("@every", "has no valid duration")]
    [TestCase("@every soon", "has no valid duration")]
    [TestCase("@every -1h", "negative")]
    [TestCase("@every 0s", "between 1s and 87600h")]
    [TestCase("@every 500ms", "between 1s and 87600h")]
    [TestCase("@every 100000000h", "between 1s and 87600h")]
    [TestCase("0 0 0 30 2 ?", "'0 0 0 30 2 ?' never fires")]
    [TestCase("0 0 0 1 1 ? 2020", "never fires")]
    public void A_bad_schedule_is_refused_with_what_is_wrong(string text, string reason)
    {
        Assert.That(() => CronSchedule.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains(reason));
    }

    private static DateTimeOffset Local(string time)
        => new(DateTime.ParseExact(time, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal));
}
