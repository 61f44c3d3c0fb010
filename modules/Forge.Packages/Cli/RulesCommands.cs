using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Forge.Accounts;
using Forge.Modularity;
using Forge.Packages.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace Forge.Packages.Cli;

/// <summary>
/// <c>packages rules list|add|set|remove|preview|run</c>: the owners' retention rules. A rule is checked before it is
/// written (one line naming the field that is wrong, exit code 2); preview and <c>run --dry-run</c> remove nothing.
/// </summary>
internal static class RulesCommands
{
    public static Command Build(IModuleCommandHost host)
    {
        var rules = new Command("rules", "The owners' retention rules (Forgejo's package cleanup rules): keep the newest N, keep or remove by pattern, expire by age and by last pull.");
        rules.Subcommands.Add(List(host));
        rules.Subcommands.Add(Add(host));
        rules.Subcommands.Add(Set(host));
        rules.Subcommands.Add(Remove(host));
        rules.Subcommands.Add(Preview(host));
        rules.Subcommands.Add(Run(host));
        return rules;
    }

    private static Command List(IModuleCommandHost host)
    {
        var json = CommandOptions.Json();
        var command = new Command("list", "List the rules (and the default rule of the configuration, id 0, when it is on).");
        command.Options.Add(json);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var rules = (await services.GetRequiredService<CleanupRuleStore>().ListAsync(null, cancellationToken)).ToList();
            if (services.GetRequiredService<DefaultCleanupRuleSettings>().Rule is { } fallback)
            {
                rules.Insert(0, fallback);
            }

            var names = await services.GetRequiredService<IAccountDirectory>().NamesAsync(rules.Select(r => r.OwnerId).Distinct().ToList(), cancellationToken);
            var listed = rules.Select(r => ListedRule.Of(r, r.IsDefault ? "(every owner without a rule)" : names.GetValueOrDefault(r.OwnerId, string.Empty))).ToList();
            if (parsed.GetValue(json))
            {
                await host.Output.WriteLineAsync(JsonSerializer.Serialize(listed, PackageRulesCleanupReport.JsonOptions));
            }
            else if (listed.Count == 0)
            {
                await host.Output.WriteLineAsync("No rules; 'forge packages rules add <owner> --type container --keep-count 10' adds one.");
            }
            else
            {
                await TextTable.WriteAsync(host.Output, ["ID", "OWNER", "TYPE", "ENABLED", "KEEP", "KEEP PATTERN", "REMOVE DAYS", "REMOVE PATTERN", "FULL NAME", "KEEP PULLED DAYS"],
                    listed.Select(r => new[]
                    {
                        Text(r.Id), r.Owner, r.Type, r.Enabled ? "yes" : "no", Text(r.KeepCount), Or(r.KeepPattern), Text(r.RemoveDays), Or(r.RemovePattern),
                        r.MatchFullName ? "yes" : "no", Text(r.KeepPulledDays),
                    }));
            }

            return ExitCodes.Success;
        }, token));
        return command;
    }

    private static Command Add(IModuleCommandHost host)
    {
        var owner = new Argument<string>("owner") { Description = "The account whose packages the rule applies to." };
        var fields = new RuleFields(required: true);
        var command = new Command("add", "Add an owner's rule for a package type (one per owner and type); prints its id. Exit code 2 when a value is wrong or the owner has a rule of that type.");
        command.Arguments.Add(owner);
        fields.AddTo(command);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var account = await services.GetRequiredService<IAccountDirectory>().FindAsync(parsed.GetValue(owner)!, cancellationToken)
                ?? throw new CommandUsageException($"there is no account named '{parsed.GetValue(owner)}' (see 'forge users list')");
            var rule = fields.Apply(parsed, new CleanupRule { OwnerId = account.Id, Enabled = true });
            Check(rule, services);
            var added = await Write(() => services.GetRequiredService<CleanupRuleStore>().AddAsync(rule, cancellationToken));
            await host.Output.WriteLineAsync(added.Id.ToString(CultureInfo.InvariantCulture));
            return ExitCodes.Success;
        }, token));
        return command;
    }

    private static Command Set(IModuleCommandHost host)
    {
        var id = RuleId();
        var fields = new RuleFields(required: false);
        var command = new Command("set", "Change a rule: only the options given change (--enabled or --disabled to switch it). Exit code 2 when a value is wrong or there is no such rule.");
        command.Arguments.Add(id);
        fields.AddTo(command);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var store = services.GetRequiredService<CleanupRuleStore>();
            var existing = await store.FindAsync(parsed.GetValue(id), cancellationToken) ?? throw NoRule(parsed.GetValue(id));
            var rule = fields.Apply(parsed, existing);
            Check(rule, services);
            _ = await Write(() => store.UpdateAsync(rule, cancellationToken)) ?? throw NoRule(rule.Id);
            await host.Output.WriteLineAsync($"Changed rule {rule.Id}.");
            return ExitCodes.Success;
        }, token));
        return command;
    }

    private static Command Remove(IModuleCommandHost host)
    {
        var id = RuleId();
        var command = new Command("remove", "Remove a rule (the versions it removed stay removed). Exit code 2 when there is no such rule.");
        command.Arguments.Add(id);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            if (!await services.GetRequiredService<CleanupRuleStore>().RemoveAsync(parsed.GetValue(id), cancellationToken))
            {
                throw NoRule(parsed.GetValue(id));
            }

            await host.Output.WriteLineAsync($"Removed rule {parsed.GetValue(id)}.");
            return ExitCodes.Success;
        }, token));
        return command;
    }

    private static Command Preview(IModuleCommandHost host)
    {
        var id = RuleId(allowDefault: true);
        var json = CommandOptions.Json();
        var command = new Command("preview", "What a rule would remove now, and why each version stays or goes; removes nothing (disabled rules too; id 0 is the default rule).");
        command.Arguments.Add(id);
        command.Options.Add(json);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var report = await services.GetRequiredService<PackageRulesCleanup>().PreviewAsync(parsed.GetValue(id), cancellationToken)
                ?? throw NoRule(parsed.GetValue(id));
            await WriteReportAsync(host.Output, report, parsed.GetValue(json));
            return ExitCodes.Success;
        }, token));
        return command;
    }

    private static Command Run(IModuleCommandHost host)
    {
        var rule = new Option<long?>("--rule") { Description = "Only this rule (0: the default rule); by default every enabled rule and the default rule." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what a real run would remove now; remove nothing." };
        var json = CommandOptions.Json();
        var command = new Command("run", "Apply the rules now (the cron task cleanup_package_rules, without its chain). Exit code 1 when a rule failed, 3 when another run is in progress.");
        command.Options.Add(rule);
        command.Options.Add(dryRun);
        command.Options.Add(json);
        command.SetAction((parsed, token) => host.RunAsync(PackagesModule.ModuleName, async (services, cancellationToken) =>
        {
            var id = parsed.GetValue(rule);
            if (id is { } one && one != 0)
            {
                var stored = await services.GetRequiredService<CleanupRuleStore>().FindAsync(one, cancellationToken) ?? throw NoRule(one);
                if (!stored.Enabled && !parsed.GetValue(dryRun))
                {
                    throw new CommandUsageException($"rule {one} is disabled: enable it first ('forge packages rules set {one} --enabled'), or look with --dry-run");
                }
            }
            else if (id == 0 && services.GetRequiredService<DefaultCleanupRuleSettings>().Rule is null)
            {
                throw NoRule(0);
            }

            var report = await services.GetRequiredService<PackageRulesCleanup>().RunAsync(
                new PackageRulesCleanupOptions(id, parsed.GetValue(dryRun), IncludeDisabled: parsed.GetValue(dryRun)), cancellationToken);
            await WriteReportAsync(host.Output, report, parsed.GetValue(json));
            return report.Skipped ? ExitCodes.Skipped : report.RulesFailed > 0 ? ExitCodes.Failure : ExitCodes.Success;
        }, token));
        return command;
    }

    private static Argument<long> RuleId(bool allowDefault = false)
    {
        var id = new Argument<long>("id") { Description = allowDefault ? "The rule's id (0: the default rule)." : "The rule's id (see 'forge packages rules list')." };
        id.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && (!long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < (allowDefault ? 0 : 1)))
            {
                result.AddError($"'{token.Value}' is not a rule id: use the id 'forge packages rules list' shows");
            }
        });
        return id;
    }

    private static void Check(CleanupRule rule, IServiceProvider services)
    {
        if (CleanupRuleValidation.Problems(rule, services.GetRequiredService<PackageRulesCleanup>().ServedTypes) is [var (field, message), ..])
        {
            throw new CommandUsageException($"--{field.Replace('_', '-')}: {message}");
        }
    }

    private static async Task<T> Write<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (RuleConflictException e)
        {
            throw new CommandUsageException(e.ExistingRuleId > 0 ? $"{e.Message} ('forge packages rules set {e.ExistingRuleId} …')" : e.Message);
        }
    }

    private static CommandUsageException NoRule(long id)
        => new(id == 0 ? DefaultCleanupRuleSettings.Off : $"there is no rule {id} (see 'forge packages rules list')");

    private static async Task WriteReportAsync(TextWriter output, PackageRulesCleanupReport report, bool json)
    {
        if (json)
        {
            await output.WriteLineAsync(report.ToJson());
            return;
        }

        if (report.Skipped)
        {
            await output.WriteLineAsync("Skipped: another run of the package rules is in progress (CLI, cron or another node).");
            return;
        }

        var verb = report.DryRun ? "would remove" : "removed";
        foreach (var rule in report.Rules)
        {
            var name = rule.IsDefault ? "default rule" : $"rule {rule.RuleId}";
            await output.WriteLineAsync($"{name} ({rule.Owner}, {rule.Type}): " + (rule.Error ?? rule.NotRun ?? $"{verb} {rule.Removed} of {rule.VersionsLookedAt} version(s)"));
            if (rule.Versions.Count > 0)
            {
                await TextTable.WriteAsync(output, ["PACKAGE", "VERSION", "CREATED", "LAST PULLED", "DECISION"], rule.Versions.Select(v => new[]
                {
                    v.Package, v.Version, Date(v.CreatedUnix), v.LastPulledUnix is { } pulled ? Date(pulled) : "-",
                    v.Decision == RuleReason.Removed && report.DryRun ? "removed (dry run)" : JsonNamingPolicy.SnakeCaseLower.ConvertName(v.Decision.ToString()),
                }));
            }
        }

        await output.WriteLineAsync($"{(report.DryRun ? "Dry run: " : string.Empty)}{verb} {report.VersionsRemoved} of {report.VersionsLookedAt} version(s) by {report.Rules.Count} rule(s)" +
            (report.VersionsKept.Count > 0 ? $"; kept: {string.Join(", ", report.VersionsKept.Select(k => $"{k.Key} {k.Value}"))}" : string.Empty));
    }

    private static string Date(long unix) => DateTimeOffset.FromUnixTimeSeconds(unix).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Or(string pattern) => pattern.Length == 0 ? "-" : pattern;

    /// <summary>A rule as <c>rules list</c> shows it.</summary>
    private sealed record ListedRule(long Id, long OwnerId, string Owner, string Type, bool Enabled, int KeepCount, string KeepPattern, int RemoveDays,
        string RemovePattern, bool MatchFullName, int KeepPulledDays)
    {
        public static ListedRule Of(CleanupRule rule, string owner) => new(rule.Id, rule.OwnerId, owner, rule.Type, rule.Enabled, rule.KeepCount,
            rule.KeepPattern, rule.RemoveDays, rule.RemovePattern, rule.MatchFullName, rule.KeepPulledDays);
    }

    /// <summary>The options that set a rule's values; <c>add</c> needs --type, <c>set</c> changes only what is given.</summary>
    private sealed class RuleFields(bool required)
    {
        private readonly Option<string> type = new("--type") { Description = "The package type the rule applies to, e.g. container.", Required = required };
        private readonly Option<int?> keepCount = new("--keep-count") { Description = "Keep the newest N versions (0: no count)." };
        private readonly Option<string> keepPattern = new("--keep-pattern") { Description = "Keep versions matching this regular expression (whole name, any letter case; '' unsets)." };
        private readonly Option<int?> removeDays = new("--remove-days") { Description = "Keep versions created within N days." };
        private readonly Option<string> removePattern = new("--remove-pattern") { Description = "Remove only versions matching this regular expression ('' unsets)." };
        private readonly Option<bool?> matchFullName = new("--match-full-name") { Description = "Patterns match '<package>/<version>' instead of the version alone." };
        private readonly Option<int?> keepPulledDays = new("--keep-pulled-days") { Description = "Keep versions pulled within N days (0: off). Forge's addition." };
        private readonly Option<bool> disabled = new("--disabled") { Description = "The rule does not run (preview still shows what it would do)." };
        private readonly Option<bool> enabled = new("--enabled") { Description = "The rule runs." };

        public void AddTo(Command command)
        {
            command.Options.Add(type);
            command.Options.Add(keepCount);
            command.Options.Add(keepPattern);
            command.Options.Add(removeDays);
            command.Options.Add(removePattern);
            command.Options.Add(matchFullName);
            command.Options.Add(keepPulledDays);
            command.Options.Add(disabled);
            if (!required)
            {
                command.Options.Add(enabled);
            }
        }

        public CleanupRule Apply(ParseResult parsed, CleanupRule rule)
        {
            if (parsed.GetValue(disabled) && parsed.GetValue(enabled))
            {
                throw new CommandUsageException("--enabled and --disabled contradict each other: give one");
            }

            return rule with
            {
                Type = parsed.GetValue(type) is { } t ? t.Trim() : rule.Type,
                KeepCount = parsed.GetValue(keepCount) ?? rule.KeepCount,
                KeepPattern = parsed.GetValue(keepPattern) ?? rule.KeepPattern,
                RemoveDays = parsed.GetValue(removeDays) ?? rule.RemoveDays,
                RemovePattern = parsed.GetValue(removePattern) ?? rule.RemovePattern,
                MatchFullName = parsed.GetValue(matchFullName) ?? rule.MatchFullName,
                KeepPulledDays = parsed.GetValue(keepPulledDays) ?? rule.KeepPulledDays,
                Enabled = parsed.GetValue(disabled) ? false : parsed.GetValue(enabled) || rule.Enabled,
            };
        }
    }
}
