namespace Forge.Packages.Rules;

/// <summary>A rule cannot be written: its owner already has a rule of that type (one per owner and type).</summary>
public sealed class RuleConflictException(long existingRuleId, string message) : Exception(message)
{
    public long ExistingRuleId { get; } = existingRuleId;
}
