using System.Globalization;
using Forge.Modularity;
using Microsoft.Extensions.Configuration;

namespace Forge.Packages.Rules;

/// <summary>
/// The instance's default rule, <c>Forge:Packages:DefaultCleanupRule:*</c> (off by default): applied to every owner
/// that has packages of its type and no rule of that type. Validated at start like every setting.
/// </summary>
public sealed record DefaultCleanupRuleSettings(CleanupRule? Rule)
{
    public const string Section = "Forge:Packages:DefaultCleanupRule";

    /// <summary>What the command line and the API say when asked for the default rule (id 0) while it is off.</summary>
    public const string Off = $"there is no default rule: {Section}:Enabled is off";

    public static DefaultCleanupRuleSettings Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (!Boolean(section, "Enabled", false))
        {
            return new DefaultCleanupRuleSettings((CleanupRule?)null);
        }

        var rule = new CleanupRule
        {
            Id = 0,
            Enabled = true,
            Type = section["Type"] is { Length: > 0 } type ? type.Trim() : "container",
            KeepCount = Integer(section, "KeepCount"),
            KeepPattern = section["KeepPattern"] ?? string.Empty,
            RemoveDays = Integer(section, "RemoveDays"),
            RemovePattern = section["RemovePattern"] ?? string.Empty,
            MatchFullName = Boolean(section, "MatchFullName", false),
            KeepPulledDays = Integer(section, "KeepPulledDays"),
        };
        // Every value but the type, which only the modules composed later can answer for: a default rule of a type
        // that no module serves is reported as not run.
        if (CleanupRuleValidation.Problems(rule, [rule.Type]) is [var (field, message), ..])
        {
            var key = string.Concat(field.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
            throw new ModuleSettingException($"{Section}:{key}: {message}.");
        }

        return new DefaultCleanupRuleSettings(rule);
    }

    private static bool Boolean(IConfigurationSection section, string key, bool fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return bool.TryParse(text.Trim(), out var value)
            ? value
            : throw new ModuleSettingException($"{Section}:{key} is '{text}': it must be true or false.");
    }

    private static int Integer(IConfigurationSection section, string key)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return 0;
        }

        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ModuleSettingException($"{Section}:{key} is '{text}': it must be a whole number, 0 or more.");
    }
}
