using System.Diagnostics;
using System.Text.Json;
using Forge.Accounts;
using Forge.Packages.Schema;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Forge.Packages.Rules;

/// <summary>
/// The owners' retention rules (the cron task <c>cleanup_package_rules</c>): every enabled rule, and the default rule
/// for owners without one, applied to the owner's packages of the rule's type. A real run holds a deployment-wide
/// lock and removes in short transactions of at most <see cref="BatchSize"/> versions, each version only while its
/// row is as it was judged (a push of the same tag meanwhile wins). A rule that cannot run fails alone: the
/// others still run. What the removals leave unreferenced is the dangling image and expired-data cleanups' to free.
/// </summary>
public sealed partial class PackageRulesCleanup(
    NpgsqlDataSource dataSource,
    CleanupRuleStore rules,
    IEnumerable<IPackageTypeRetention> types,
    DefaultCleanupRuleSettings defaults,
    IAccountDirectory accounts,
    PackageRulesCleanupTelemetry telemetry,
    TimeProvider time,
    ILogger<PackageRulesCleanup> logger)
{
    /// <summary>The advisory lock key of real runs (ASCII "FrgRules").</summary>
    public const long RunLockKey = 0x4672_6752_756C_6573;

    /// <summary>Versions per removal transaction: short locks, whatever the package's size.</summary>
    public const int BatchSize = 100;

    private const int MaxBatchAttempts = 3;

    private readonly Dictionary<string, IPackageTypeRetention> byType = types.ToDictionary(t => t.PackageType, StringComparer.Ordinal);

    /// <summary>The package types a rule can be applied to: those a module serves.</summary>
    public IReadOnlyCollection<string> ServedTypes => byType.Keys;

    /// <summary>What a rule would do now: a dry run of that rule alone, enabled or not; null when there is no such rule.</summary>
    public Task<PackageRulesCleanupReport?> PreviewAsync(long ruleId, CancellationToken cancellationToken)
        => PreviewAsync(ruleId, ownerId: null, cancellationToken);

    /// <summary>
    /// <see cref="PreviewAsync(long, CancellationToken)"/> for one owner alone when <paramref name="ownerId"/> is given
    /// (the default rule, id 0, stands in for many owners).
    /// </summary>
    public async Task<PackageRulesCleanupReport?> PreviewAsync(long ruleId, long? ownerId, CancellationToken cancellationToken)
        => ruleId == 0 && defaults.Rule is null || ruleId != 0 && await rules.FindAsync(ruleId, cancellationToken) is null
            ? null
            : await RunAsync(new PackageRulesCleanupOptions(ruleId, DryRun: true, IncludeDisabled: true, OwnerId: ownerId), cancellationToken);

    public async Task<PackageRulesCleanupReport> RunAsync(PackageRulesCleanupOptions options, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var dryRunTag = new KeyValuePair<string, object?>("dry_run", options.DryRun);
        using var activity = PackageRulesCleanupTelemetry.ActivitySource.StartActivity(PackageRulesCleanupTask.Name);
        activity?.SetTag("forge.cleanup.dry_run", options.DryRun);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            if (!options.DryRun && !await LockAsync(connection, options.WaitForLock, cancellationToken))
            {
                LogSkipped();
                telemetry.Runs.Add(1, new("outcome", "skipped"), dryRunTag);
                return new PackageRulesCleanupReport { DryRun = false, Skipped = true, NowUnix = now };
            }

            try
            {
                var reports = new List<RuleRunReport>();
                var kept = new Dictionary<RuleReason, long>();
                foreach (var rule in await RulesToRunAsync(options, cancellationToken))
                {
                    reports.Add(await RunRuleAsync(connection, rule, now, options, kept, cancellationToken));
                }

                var names = await accounts.NamesAsync(reports.Select(r => r.OwnerId).Distinct().ToList(), cancellationToken);
                var report = new PackageRulesCleanupReport
                {
                    DryRun = options.DryRun,
                    NowUnix = now,
                    Rules = reports.Select(r => r with { Owner = names.TryGetValue(r.OwnerId, out var name) ? name : string.Empty }).ToList(),
                    VersionsKept = kept.OrderBy(k => k.Key).ToDictionary(k => JsonNamingPolicy.SnakeCaseLower.ConvertName(k.Key.ToString()), k => k.Value),
                    DurationSeconds = stopwatch.Elapsed.TotalSeconds,
                };
                var outcome = report.RulesFailed > 0 ? "failure" : "success";
                telemetry.Runs.Add(1, new("outcome", outcome), dryRunTag);
                telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", outcome), dryRunTag);
                activity?.SetTag("forge.cleanup.rules", report.Rules.Count);
                activity?.SetTag("forge.cleanup.versions_removed", report.VersionsRemoved);
                return report;
            }
            finally
            {
                if (!options.DryRun)
                {
                    await UnlockAsync(connection);
                }
            }
        }
        catch (Exception e)
        {
            telemetry.Runs.Add(1, new("outcome", "failure"), dryRunTag);
            telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, new("outcome", "failure"), dryRunTag);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    /// <summary>The rules a run applies: the stored ones (enabled, or the one asked for) and the default rule for each owner without one.</summary>
    private async Task<List<CleanupRule>> RulesToRunAsync(PackageRulesCleanupOptions options, CancellationToken cancellationToken)
    {
        var stored = options.RuleId is 0 ? [] : await rules.ListAsync(null, cancellationToken);
        var chosen = stored.Where(r => options.RuleId is null ? r.Enabled : r.Id == options.RuleId && (r.Enabled || options.IncludeDisabled)).ToList();
        if (defaults.Rule is { } fallback && options.RuleId is null or 0)
        {
            foreach (var owner in await rules.OwnersWithoutRuleAsync(fallback.Type, cancellationToken))
            {
                chosen.Add(fallback with { OwnerId = owner });
            }
        }

        return options.OwnerId is { } only ? chosen.Where(r => r.OwnerId == only).ToList() : chosen;
    }

    private async Task<RuleRunReport> RunRuleAsync(
        NpgsqlConnection connection, CleanupRule rule, long now, PackageRulesCleanupOptions options, Dictionary<RuleReason, long> kept,
        CancellationToken cancellationToken)
    {
        using var activity = PackageRulesCleanupTelemetry.ActivitySource.StartActivity("rule");
        activity?.SetTag("forge.rules.rule_id", rule.Id);
        var report = new RuleRunReport { RuleId = rule.Id, IsDefault = rule.IsDefault, OwnerId = rule.OwnerId, Type = rule.Type };
        if (!byType.TryGetValue(rule.Type, out var type))
        {
            LogTypeNotServed(rule.Id, rule.Type);
            return report with { NotRun = $"no module of this forge serves {rule.Type} packages: the rule is left to a forge that does" };
        }

        RulePlanner planner;
        try
        {
            planner = new RulePlanner(rule, now);
        }
        catch (ArgumentException e)
        {
            // A row written elsewhere (or before a check): this rule fails loudly, the others run.
            LogRuleFailed(e, rule.Id, rule.OwnerId);
            telemetry.RuleFailures.Add(1);
            return report with { Error = e.Message };
        }

        var listed = new List<RuleVersionReport>();
        long lookedAt = 0, removed = 0;
        try
        {
            foreach (var (packageId, packageName, lowerName) in await rules.PackagesAsync(rule.OwnerId, rule.Type, cancellationToken))
            {
                // Page by page, newest first: each page is judged, its removals done, then the next page is read, so
                // memory stays flat. What a page's removals delete is older than the next page's start.
                var pass = planner.Begin(lowerName, type.PassOver);
                await foreach (var page in rules.VersionPagesAsync(packageId, withRevision: !options.DryRun, options.PageSize, cancellationToken))
                {
                    var decisions = page.Select(version => (Version: version, Decision: pass.Decide(version))).ToList();
                    lookedAt += decisions.Count;
                    var gone = new HashSet<long>();
                    if (!options.DryRun)
                    {
                        foreach (var batch in decisions.Where(d => d.Decision == RuleReason.Removed).Select(d => d.Version).Chunk(BatchSize))
                        {
                            gone.UnionWith(await RemoveBatchAsync(connection, type, batch, cancellationToken));
                        }
                    }

                    var keptOnPage = new Dictionary<RuleReason, long>();
                    foreach (var (version, planned) in decisions)
                    {
                        // A version pushed again since it was judged is young now, and stays.
                        var decision = planned == RuleReason.Removed && !options.DryRun && !gone.Contains(version.Id) ? RuleReason.TooYoung : planned;
                        if (decision == RuleReason.Removed)
                        {
                            removed++;
                        }
                        else
                        {
                            kept[decision] = kept.GetValueOrDefault(decision) + 1;
                            keptOnPage[decision] = keptOnPage.GetValueOrDefault(decision) + 1;
                        }

                        if (options.ListVersions)
                        {
                            listed.Add(new RuleVersionReport(packageName, version.Version, version.Id, version.CreatedUnix, version.LastPulledUnix, decision));
                        }
                    }

                    // Once per page and reason, not once per version.
                    foreach (var (reason, count) in options.DryRun ? [] : keptOnPage)
                    {
                        telemetry.VersionsKept.Add(count, new KeyValuePair<string, object?>("reason", JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString())));
                    }
                }
            }
        }
        catch (Exception e) when (e is NpgsqlException && !cancellationToken.IsCancellationRequested)
        {
            LogRuleFailed(e, rule.Id, rule.OwnerId);
            telemetry.RuleFailures.Add(1);
            return report with { Error = e.Message, VersionsLookedAt = lookedAt, Removed = removed, Versions = listed };
        }

        if (!options.DryRun)
        {
            telemetry.VersionsRemoved.Add(removed);
        }

        activity?.SetTag("forge.rules.versions_removed", removed);
        return report with { VersionsLookedAt = lookedAt, Removed = removed, Versions = listed };
    }

    /// <summary>One short transaction; done again when the database ends it for a lock conflict with a push.</summary>
    private async Task<IReadOnlyList<long>> RemoveBatchAsync(
        NpgsqlConnection connection, IPackageTypeRetention type, IReadOnlyList<RuleCandidate> batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var removed = await type.RemoveAsync(connection, transaction, batch, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return removed;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                              && attempt < MaxBatchAttempts)
            {
                LogRetry(attempt, e.SqlState);
            }
        }
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, bool wait, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            return await PackagesSql.ScalarAsync<bool>(connection, null, "SELECT pg_try_advisory_lock($1)", cancellationToken, RunLockKey);
        }

        try
        {
            await PackagesSql.ExecuteAsync(connection, null, "SET lock_timeout = '1h'", cancellationToken);
            await PackagesSql.ExecuteAsync(connection, null, "SELECT pg_advisory_lock($1)", cancellationToken, RunLockKey);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return false;
        }
        finally
        {
            await PackagesSql.ExecuteAsync(connection, null, "RESET lock_timeout", CancellationToken.None);
        }
    }

    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        try
        {
            await PackagesSql.ExecuteAsync(connection, null, "SELECT pg_advisory_unlock($1)", CancellationToken.None, RunLockKey);
        }
        catch (NpgsqlException)
        {
            // The connection is gone, and the session lock with it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Package rules skipped: another run is in progress")]
    private partial void LogSkipped();

    [LoggerMessage(Level = LogLevel.Error, Message = "Package rule {RuleId} (owner {OwnerId}) could not run; the other rules run")]
    private partial void LogRuleFailed(Exception e, long ruleId, long ownerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Package rule {RuleId} is for {Type} packages, which no module of this forge serves: left alone")]
    private partial void LogTypeNotServed(long ruleId, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A package rule's removal hit a lock conflict with a push (attempt {Attempt}, {SqlState}); retrying")]
    private partial void LogRetry(int attempt, string sqlState);
}
