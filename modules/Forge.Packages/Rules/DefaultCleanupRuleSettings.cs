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
        if (!ModuleSettings.Boolean(configuration, $"{Section}:Enabled", false))
        {
            return new DefaultCleanupRuleSettings((CleanupRule?)null);
        }

        var rule = new CleanupRule
        {
            Id = 0,
            Enabled = true,
            Type = section["Type"] is { Length: > 0 } type ? type.Trim() : "container",
            KeepCount = ModuleSettings.WholeNumber(configuration, $"{Section}:KeepCount", 0, 0),
            KeepPattern = section["KeepPattern"] ?? string.Empty,
            RemoveDays = ModuleSettings.WholeNumber(configuration, $"{Section}:RemoveDays", 0, 0),
            RemovePattern = section["RemovePattern"] ?? string.Empty,
            MatchFullName = ModuleSettings.Boolean(configuration, $"{Section}:MatchFullName", false),
            KeepPulledDays = ModuleSettings.WholeNumber(configuration, $"{Section}:KeepPulledDays", 0, 0),
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
}
