using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Forge.Host.Hosting;
using Forge.Tooling;
using Npgsql;

namespace Forge.Bench.Rules;

/// <summary>What one rules benchmark does: the scale, the rule, the runs, and the host it starts.</summary>
public sealed record RulesBenchOptions
{
    /// <summary>Tags in the one repository (<c>latest</c> among them); the digest versions come on top.</summary>
    public int Tags { get; init; } = 100_000;

    /// <summary>The rule's keep_count (its only setting: every other tag is removed).</summary>
    public int KeepCount { get; init; } = 10;

    public int Runs { get; init; } = 3;
    public int Seed { get; init; } = 1;

    /// <summary>Keep the template and the last run's database (and the cluster) for inspection.</summary>
    public bool Keep { get; init; }

    /// <summary>Forge's host, whose commands migrate, preview and run; by default the one built next to the benchmark.</summary>
    public string ForgeDll { get; init; } = typeof(ForgeApp).Assembly.Location;
}

/// <summary>
/// One run's figures, each command in its own process on the same fresh copy: a command that does no work
/// (<c>packages rules list --json</c>: the start-up every command pays), the preview, then the real run. Wall times
/// are the process's, start to exit; <c>PreviewSeconds</c> is the preview's own time from its report (reading and
/// planning, the JSON output not included), <c>PreviewReadSeconds</c> its longest transaction (its one read of the
/// package's versions), <c>RunSeconds</c> the run's own time as the cron runner measured it.
/// </summary>
public sealed record RulesBenchRun(
    int Run,
    double CommandWallSeconds,
    double? CommandPeakMegabytes,
    double PreviewWallSeconds,
    double? PreviewPeakMegabytes,
    double PreviewSeconds,
    double PreviewReadSeconds,
    long PreviewReportBytes,
    double RunWallSeconds,
    double? RunPeakMegabytes,
    double RunSeconds,
    long RemovedVersions,
    long RemovedFiles,
    long RemovedProperties,
    double LongestLockingTransactionSeconds,
    double LongestTransactionSeconds);

public sealed record RulesBenchResult
{
    public required int Tags { get; init; }
    public required int KeepCount { get; init; }
    public required int Runs { get; init; }
    public required int Seed { get; init; }
    public required string ServerVersion { get; init; }
    public required GenerationSummary Generation { get; init; }

    /// <summary>The versions the preview looked at (the repository's versions that are not internal).</summary>
    public required long VersionsLookedAt { get; init; }

    /// <summary>The versions the preview said the rule removes, which every run removed exactly (the benchmark stops otherwise).</summary>
    public required long PreviewRemoved { get; init; }

    public required IReadOnlyList<RulesBenchRun> AllRuns { get; init; }

    /// <summary>The median of each figure over the runs; null without runs.</summary>
    public required RulesBenchRun? Medians { get; init; }
}

/// <summary>
/// The owners' retention rules at scale: one owner with one container repository of <see cref="RulesBenchOptions.Tags"/>
/// tags (and their digest versions), generated into a template database, and a rule keep_count N. Each run, on a
/// fresh copy: <c>forge packages rules preview &lt;id&gt; --json</c>, then <c>forge cron run cleanup_package_rules</c>
/// (the nightly path; the dangling image cleanup it chains is switched off), each timed in its own process with its
/// peak memory and its transactions sampled; then the versions gone must be exactly those the preview said.
/// </summary>
public sealed partial class RulesBench(BenchServer server, RulesBenchOptions options, TextWriter log)
{
    private readonly string prefix = $"bench_rules_{Environment.ProcessId}_";

    private string Template => prefix + "template";

    public async Task<RulesBenchResult> RunAsync()
    {
        log.WriteLine($"Generating one repository with {options.Tags:N0} tags (seed {options.Seed}) into {Template}");
        await server.CreateDatabaseAsync(Template);
        var generation = await RegistryGenerator.GenerateOneRepositoryAsync(server.ConnectionString(Template), options.Tags, options.Seed, options.ForgeDll, log);
        log.WriteLine($"  generated in {generation.TotalSeconds:0.0} s: {generation.Tags:N0} tags, {generation.Versions:N0} versions ({generation.DigestVersions:N0} by digest), " +
                      $"{generation.Files:N0} files, {generation.Properties:N0} properties");
        var ruleId = await AddRuleAsync();

        var runs = new List<RulesBenchRun>();
        PreviewReport? preview = null;
        for (var run = 1; run <= options.Runs; run++)
        {
            log.WriteLine($"Run {run} of {options.Runs}");
            var database = $"{prefix}{run}";
            await server.CreateDatabaseAsync(database, Template);
            var (figures, report) = await RunOnceAsync(run, database, ruleId);
            runs.Add(figures);
            preview = report;
            log.WriteLine($"  preview: {figures.PreviewWallSeconds:0.00} s ({figures.PreviewSeconds:0.00} s in the preview), {figures.PreviewPeakMegabytes:0} MB; " +
                          $"run: {figures.RunWallSeconds:0.00} s, {figures.RunPeakMegabytes:0} MB, removed {figures.RemovedVersions:N0} versions as the preview said, " +
                          $"longest locking transaction {figures.LongestLockingTransactionSeconds:0.00} s");
            if (!options.Keep || run < options.Runs)
            {
                await server.DropDatabaseAsync(database);
            }
        }

        if (!options.Keep)
        {
            await server.DropDatabaseAsync(Template);
        }

        return new RulesBenchResult
        {
            Tags = options.Tags,
            KeepCount = options.KeepCount,
            Runs = options.Runs,
            Seed = options.Seed,
            ServerVersion = await server.ServerVersionAsync(),
            Generation = generation,
            VersionsLookedAt = preview?.VersionsLookedAt ?? 0,
            PreviewRemoved = preview?.Removed.Count ?? 0,
            AllRuns = runs,
            Medians = runs.Count > 0 ? MedianRun(runs) : null,
        };
    }

    /// <summary>The owner's rule, as <c>packages rules add</c> writes it (the generated registry has no accounts to name).</summary>
    private async Task<long> AddRuleAsync()
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString(Template));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "INSERT INTO package_cleanup_rule (owner_id, type, enabled, keep_count, created_unix, updated_unix) VALUES (1, 'container', true, $1, $2, $2) RETURNING id",
            connection);
        command.Parameters.AddWithValue(options.KeepCount);
        command.Parameters.AddWithValue(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<(RulesBenchRun Figures, PreviewReport Preview)> RunOnceAsync(int run, string database, long ruleId)
    {
        var environment = BenchPipeline.ForgeEnvironment(server.ConnectionString(database));
        // The nightly chain's next task is off: the figures are the rules' own.
        environment["Forge__Cron__cleanup_container_sha256__Enabled"] = "false";
        ChildProcessCommand Forge(params string[] arguments) => ChildProcessCommand.Forge(options.ForgeDll, environment, arguments);

        var idsBefore = await VersionIdsAsync(database);
        var before = await server.StateAsync(database);
        var command = await MeasuredCommand.RunAsync(Forge("packages", "rules", "list", "--json"), "forge packages rules list");

        // The report lists every version (tens of MB at scale): written to a file, as an operator would keep it.
        var reportFile = Path.Combine(Path.GetTempPath(), $"{database}.preview.json");
        var previewCommand = Forge("packages", "rules", "preview", ruleId.ToString(CultureInfo.InvariantCulture), "--json")
            .Under("sh", "-c", "out=$1; shift; exec \"$@\" > \"$out\"", "sh", reportFile);
        PreviewReport preview;
        long reportBytes;
        MeasuredResult previewed;
        TransactionSampler previewSampler;
        try
        {
            (previewed, previewSampler) = await SampledAsync(database, () => MeasuredCommand.RunAsync(previewCommand, "forge packages rules preview"));
            preview = await PreviewReport.ReadAsync(reportFile);
            reportBytes = new FileInfo(reportFile).Length;
        }
        finally
        {
            File.Delete(reportFile);
        }

        var (ran, runSampler) = await SampledAsync(database, () => MeasuredCommand.RunAsync(Forge("cron", "run", "cleanup_package_rules"), "forge cron run cleanup_package_rules"));
        var runSeconds = RunnerSeconds().Match(ran.Result.Output) is { Success: true } match
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new BenchException($"forge cron run did not report a success: {ran.Result.Output.Trim()}");

        var idsAfter = await VersionIdsAsync(database);
        var gone = idsBefore.Except(idsAfter).ToHashSet();
        if (!gone.SetEquals(preview.Removed))
        {
            var notSaid = gone.Except(preview.Removed).ToList();
            var left = preview.Removed.Except(gone).ToList();
            throw new BenchException(
                $"Run {run} removed {gone.Count} versions; the preview said {preview.Removed.Count}. Removed without the preview saying so: {notSaid.Count} " +
                $"(e.g. {string.Join(", ", notSaid.Take(10))}); said but left: {left.Count} (e.g. {string.Join(", ", left.Take(10))}).");
        }

        var after = await server.StateAsync(database);
        long Removed(string table) => before.Single(s => s.Table == table).Rows - after.Single(s => s.Table == table).Rows;
        var figures = new RulesBenchRun(
            run,
            command.Result.Elapsed.TotalSeconds,
            command.PeakMegabytes,
            previewed.Result.Elapsed.TotalSeconds,
            previewed.PeakMegabytes,
            preview.DurationSeconds,
            previewSampler.LongestSeconds,
            reportBytes,
            ran.Result.Elapsed.TotalSeconds,
            ran.PeakMegabytes,
            runSeconds,
            gone.Count,
            Removed("package_file"),
            Removed("package_property"),
            runSampler.LongestLockingSeconds,
            runSampler.LongestSeconds);
        return (figures, preview);
    }

    /// <summary>Runs <paramref name="measure"/> after a checkpoint, sampling the database's transactions meanwhile.</summary>
    private async Task<(MeasuredResult Result, TransactionSampler Sampler)> SampledAsync(string database, Func<Task<MeasuredResult>> measure)
    {
        await server.CheckpointAsync();
        var sampler = TransactionSampler.Start(server.AdminConnectionString, database);
        try
        {
            return (await measure(), sampler);
        }
        finally
        {
            await sampler.DisposeAsync();
        }
    }

    private async Task<HashSet<long>> VersionIdsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM package_version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<long>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private static RulesBenchRun MedianRun(List<RulesBenchRun> runs)
    {
        double M(Func<RulesBenchRun, double> figure) => Median.Of(runs.Select(figure));
        double? Memory(Func<RulesBenchRun, double?> figure) => runs.All(r => figure(r) is not null) ? Median.Of(runs.Select(r => figure(r)!.Value)) : null;
        return new RulesBenchRun(
            0,
            M(r => r.CommandWallSeconds),
            Memory(r => r.CommandPeakMegabytes),
            M(r => r.PreviewWallSeconds),
            Memory(r => r.PreviewPeakMegabytes),
            M(r => r.PreviewSeconds),
            M(r => r.PreviewReadSeconds),
            (long)M(r => r.PreviewReportBytes),
            M(r => r.RunWallSeconds),
            Memory(r => r.RunPeakMegabytes),
            M(r => r.RunSeconds),
            (long)M(r => r.RemovedVersions),
            (long)M(r => r.RemovedFiles),
            (long)M(r => r.RemovedProperties),
            M(r => r.LongestLockingTransactionSeconds),
            M(r => r.LongestTransactionSeconds));
    }

    /// <summary>The cron runner's line: <c>cleanup_package_rules: success in 12.345s (run 1): …</c>.</summary>
    [GeneratedRegex(@"cleanup_package_rules: success in ([0-9.]+)s")]
    private static partial Regex RunnerSeconds();

    /// <summary>What the bench reads of a preview's JSON report.</summary>
    private sealed record PreviewReport(long VersionsLookedAt, double DurationSeconds, HashSet<long> Removed)
    {
        public static async Task<PreviewReport> ReadAsync(string file)
        {
            await using var json = File.OpenRead(file);
            using var report = await JsonDocument.ParseAsync(json);
            var root = report.RootElement;
            var removed = new HashSet<long>();
            foreach (var rule in root.GetProperty("rules").EnumerateArray())
            {
                if (rule.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
                {
                    throw new BenchException($"The preview's rule {rule.GetProperty("ruleId").GetInt64()} failed: {error.GetString()}");
                }

                foreach (var version in rule.GetProperty("versions").EnumerateArray())
                {
                    if (version.GetProperty("decision").GetString() == "removed")
                    {
                        removed.Add(version.GetProperty("versionId").GetInt64());
                    }
                }
            }

            return new PreviewReport(root.GetProperty("versionsLookedAt").GetInt64(), root.GetProperty("durationSeconds").GetDouble(), removed);
        }
    }
}
