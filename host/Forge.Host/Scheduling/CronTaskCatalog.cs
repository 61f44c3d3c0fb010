using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Host.Scheduling;

/// <summary>
/// The cron tasks of the enabled modules with their validated <c>Forge:Cron:&lt;task&gt;:</c> settings.
/// Built once at start-up; any bad value stops the host with a message naming the key and the value.
/// </summary>
public sealed class CronTaskCatalog : ICronTaskSettingsLookup
{
    private static readonly string[] CommonKeys = ["Enabled", "RunAtStart", "Schedule"];

    private CronTaskCatalog(IReadOnlyList<CronTaskConfiguration> tasks) => Tasks = tasks;

    public IReadOnlyList<CronTaskConfiguration> Tasks { get; }

    public CronTaskSettings SettingsOf(string taskName)
        => Find(taskName)?.Settings ?? throw new KeyNotFoundException($"There is no cron task named '{taskName}'.");

    public CronTaskConfiguration? Find(string name)
        => Tasks.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <param name="definitions">Tasks of the enabled modules.</param>
    /// <param name="knownElsewhere">Task names of disabled modules: their settings are left alone.</param>
    /// <param name="configuration">The whole configuration.</param>
    public static CronTaskCatalog Build(
        IReadOnlyList<CronTaskDefinition> definitions, IReadOnlyCollection<string> knownElsewhere, IConfiguration configuration)
    {
        var errors = new List<string>();
        var duplicate = definitions.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ForgeConfigurationException($"Two modules declare the cron task '{duplicate.Key}'.");
        }

        foreach (var section in configuration.GetSection("Forge:Cron").GetChildren())
        {
            if (!definitions.Any(d => string.Equals(d.Name, section.Key, StringComparison.OrdinalIgnoreCase)) &&
                !knownElsewhere.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"Forge:Cron:{section.Key}: there is no cron task named '{section.Key}' " +
                           $"(known tasks: {string.Join(", ", definitions.Select(d => d.Name).Concat(knownElsewhere).Order())}).");
            }
        }

        var tasks = new List<CronTaskConfiguration>();
        foreach (var definition in definitions)
        {
            var section = configuration.GetSection($"Forge:Cron:{definition.Name}");
            var prefix = $"Forge:Cron:{definition.Name}";
            foreach (var child in section.GetChildren())
            {
                if (!CommonKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase) &&
                    !definition.Settings.Any(s => string.Equals(s.Key, child.Key, StringComparison.OrdinalIgnoreCase)))
                {
                    var keys = CommonKeys.Concat(definition.Settings.Select(s => s.Key));
                    errors.Add($"{prefix}:{child.Key} is not a setting of this task (its settings: {string.Join(", ", keys)}).");
                }
            }

            var enabled = ReadBoolean(section, "Enabled", definition.Enabled, prefix, errors);
            var runAtStart = ReadBoolean(section, "RunAtStart", definition.RunAtStart, prefix, errors);
            CronSchedule? schedule = null;
            var scheduleText = section["Schedule"] ?? definition.Schedule;
            try
            {
                schedule = CronSchedule.Parse(scheduleText);
            }
            catch (FormatException e)
            {
                errors.Add($"{prefix}:Schedule is '{scheduleText}': {e.Message}.");
            }

            var values = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            foreach (var setting in definition.Settings)
            {
                var text = section[setting.Key] ?? setting.DefaultValue;
                var error = setting.Validate(text, out var parsed);
                if (error is not null)
                {
                    errors.Add($"{prefix}:{setting.Key} is '{text}': {error}.");
                }
                else
                {
                    values[setting.Key] = parsed!;
                }
            }

            if (schedule is not null)
            {
                tasks.Add(new CronTaskConfiguration(definition, enabled, runAtStart, schedule, new CronTaskSettings(values)));
            }
        }

        if (errors.Count > 0)
        {
            throw new ForgeConfigurationException(string.Join(" ", errors));
        }

        return new CronTaskCatalog(tasks);
    }

    private static bool ReadBoolean(IConfigurationSection section, string key, bool defaultValue, string prefix, List<string> errors)
    {
        var text = section[key];
        if (text is null)
        {
            return defaultValue;
        }

        if (bool.TryParse(text.Trim(), out var value))
        {
            return value;
        }

        errors.Add($"{prefix}:{key} is '{text}': it must be true or false.");
        return defaultValue;
    }
}
