namespace Forge.Packages.Rules.Http;

/// <summary>
/// A rule as the API answers it: Forgejo's column names, the owner by name and id, whether it is the configuration's
/// default rule (id 0, standing in for an owner without a rule of its type), and when it was created and last changed
/// (UTC; null for the default rule).
/// </summary>
internal sealed record RuleResponse(
    long Id,
    string Owner,
    long OwnerId,
    string Type,
    bool Enabled,
    int KeepCount,
    string KeepPattern,
    int RemoveDays,
    string RemovePattern,
    bool MatchFullName,
    int KeepPulledDays,
    bool IsDefault,
    DateTime? Created,
    DateTime? Updated)
{
    public static RuleResponse Of(CleanupRule rule, string owner) => new(
        rule.Id, owner, rule.OwnerId, rule.Type, rule.Enabled, rule.KeepCount, rule.KeepPattern, rule.RemoveDays, rule.RemovePattern,
        rule.MatchFullName, rule.KeepPulledDays, rule.IsDefault, Utc(rule, rule.CreatedUnix), Utc(rule, rule.UpdatedUnix));

    private static DateTime? Utc(CleanupRule rule, long unix) => rule.IsDefault ? null : DateTimeOffset.FromUnixTimeSeconds(unix).UtcDateTime;
}
