using System.Runtime.CompilerServices;
using Forge.Packages.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Forge.Packages.Rules;

/// <summary>
/// The rules (<c>package_cleanup_rule</c>, through the entity model) and what a rule run reads: the owners a default
/// rule stands in for, an owner's packages of a type, and a package's versions newest first with their last pulls.
/// </summary>
public sealed class CleanupRuleStore(IServiceScopeFactory scopes, NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>Every rule, or one owner's, by id.</summary>
    public async Task<IReadOnlyList<CleanupRule>> ListAsync(long? ownerId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rules = scope.ServiceProvider.GetRequiredService<PackagesDbContext>().CleanupRules.AsNoTracking();
        if (ownerId is { } owner)
        {
            rules = rules.Where(r => r.OwnerId == owner);
        }

        return (await rules.OrderBy(r => r.Id).ToListAsync(cancellationToken)).Select(ToRule).ToList();
    }

    public async Task<CleanupRule?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<PackagesDbContext>().CleanupRules.AsNoTracking()
            .SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return row is null ? null : ToRule(row);
    }

    /// <summary>Adds a rule (its id is ignored) and returns it with its id; <see cref="RuleConflictException"/> when the owner has one of that type.</summary>
    public async Task<CleanupRule> AddAsync(CleanupRule rule, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var packages = scope.ServiceProvider.GetRequiredService<PackagesDbContext>();
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        rule = rule with { Id = 0 };
        await ThrowOnConflictAsync(packages, rule, cancellationToken);
        var row = new PackageCleanupRule { CreatedUnix = now };
        Copy(rule, row, now);
        packages.CleanupRules.Add(row);
        try
        {
            await packages.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw Conflict(rule, await ExistingOfTypeAsync(packages, rule, cancellationToken));
        }

        return ToRule(row);
    }

    /// <summary>Writes a rule's values (its owner and type may change too); null when there is no rule of its id.</summary>
    public async Task<CleanupRule?> UpdateAsync(CleanupRule rule, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var packages = scope.ServiceProvider.GetRequiredService<PackagesDbContext>();
        if (await packages.CleanupRules.SingleOrDefaultAsync(r => r.Id == rule.Id, cancellationToken) is not { } row)
        {
            return null;
        }

        await ThrowOnConflictAsync(packages, rule, cancellationToken);
        Copy(rule, row, time.GetUtcNow().ToUnixTimeSeconds());
        try
        {
            await packages.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw Conflict(rule, await ExistingOfTypeAsync(packages, rule, cancellationToken));
        }

        return ToRule(row);
    }

    public async Task<bool> RemoveAsync(long id, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PackagesDbContext>().CleanupRules
            .Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>The owners with packages of <paramref name="type"/> and no rule of that type: the default rule's.</summary>
    public async Task<IReadOnlyList<long>> OwnersWithoutRuleAsync(string type, CancellationToken cancellationToken)
        => await PackagesSql.ListAsync(dataSource, """
            SELECT DISTINCT p.owner_id FROM package p
            WHERE p.type = $1 AND NOT EXISTS (SELECT 1 FROM package_cleanup_rule r WHERE r.owner_id = p.owner_id AND r.type = p.type)
            ORDER BY p.owner_id
            """, r => r.GetInt64(0), cancellationToken, type);

    /// <summary>An owner's packages of a type, by id.</summary>
    public async Task<IReadOnlyList<(long Id, string Name, string LowerName)>> PackagesAsync(long ownerId, string type, CancellationToken cancellationToken)
        => await PackagesSql.ListAsync(dataSource,
            "SELECT id, name, lower_name FROM package WHERE owner_id = $1 AND type = $2 ORDER BY id",
            r => (r.GetInt64(0), r.GetString(1), r.GetString(2)), cancellationToken, ownerId, type);

    /// <summary>Versions per read of <see cref="VersionPagesAsync"/> in a run: memory stays flat whatever the package's size.</summary>
    public const int VersionPageSize = 10_000;

    /// <summary>
    /// A package's versions that are not internal, newest first (created_unix, then id), with their last pulls, a
    /// page at a time, each page a statement of its own (the connection is free between pages). The pages follow
    /// one another by key (created_unix, id), through the covering index IDX_package_version_newest_first. With
    /// <paramref name="withRevision"/> each row carries its xmin, for a removal that must see the row unchanged;
    /// without it (a dry run) the rows come from the index alone.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<RuleCandidate>> VersionPagesAsync(
        long packageId, bool withRevision, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var first = VersionsPage(withRevision, after: false);
        var next = VersionsPage(withRevision, after: true);
        var page = await PackagesSql.ListAsync(dataSource, first, ReadCandidate, cancellationToken, packageId, pageSize);
        while (page.Count > 0)
        {
            yield return page;
            if (page.Count < pageSize)
            {
                yield break;
            }

            var last = page[^1];
            page = await PackagesSql.ListAsync(dataSource, next, ReadCandidate, cancellationToken, packageId, pageSize, last.CreatedUnix, last.Id);
        }
    }

    /// <summary>A page of <see cref="VersionPagesAsync"/>; <paramref name="after"/>: it starts after the key ($3, $4) last read.</summary>
    private static string VersionsPage(bool withRevision, bool after) => $"""
        SELECT v.id, v.package_id, v.version, v.lower_version, v.created_unix, p.last_pulled_unix, {(withRevision ? "v.xmin" : "'0'::xid")}
        FROM package_version v LEFT JOIN forge_package_version_pull p ON p.version_id = v.id
        WHERE v.package_id = $1 AND NOT v.is_internal {(after ? "AND (v.created_unix, v.id) < ($3, $4)" : string.Empty)}
        ORDER BY v.created_unix DESC, v.id DESC
        LIMIT $2
        """;

    private static RuleCandidate ReadCandidate(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.GetFieldValue<uint>(6));

    /// <summary>
    /// A conflict found before the write. The unique index stays the arbiter of two writes at once; this keeps the
    /// common case (a second rule of a type) out of the database's error path and EF Core's error log.
    /// </summary>
    private static async Task ThrowOnConflictAsync(PackagesDbContext packages, CleanupRule rule, CancellationToken cancellationToken)
    {
        if (await ExistingOfTypeAsync(packages, rule, cancellationToken) is { } existing)
        {
            throw Conflict(rule, existing);
        }
    }

    /// <summary>The owner's other rule of the rule's type, if any.</summary>
    private static async Task<long?> ExistingOfTypeAsync(PackagesDbContext packages, CleanupRule rule, CancellationToken cancellationToken)
        => await packages.CleanupRules.AsNoTracking()
            .Where(r => r.OwnerId == rule.OwnerId && r.Type == rule.Type && r.Id != rule.Id)
            .Select(r => (long?)r.Id).FirstOrDefaultAsync(cancellationToken);

    private static RuleConflictException Conflict(CleanupRule rule, long? existing)
        => new(existing ?? 0,
            $"the owner already has a {rule.Type} rule{(existing is { } id ? $" (id {id})" : string.Empty)}: one rule per owner and type; change that one");

    private static void Copy(CleanupRule rule, PackageCleanupRule row, long now)
    {
        row.OwnerId = rule.OwnerId;
        row.Type = rule.Type;
        row.Enabled = rule.Enabled;
        row.KeepCount = rule.KeepCount;
        row.KeepPattern = rule.KeepPattern;
        row.RemoveDays = rule.RemoveDays;
        row.RemovePattern = rule.RemovePattern;
        row.MatchFullName = rule.MatchFullName;
        row.KeepPulledDays = rule.KeepPulledDays;
        row.UpdatedUnix = now;
    }

    private static CleanupRule ToRule(PackageCleanupRule row) => new()
    {
        Id = row.Id,
        OwnerId = row.OwnerId,
        Type = row.Type,
        Enabled = row.Enabled,
        KeepCount = row.KeepCount,
        KeepPattern = row.KeepPattern,
        RemoveDays = row.RemoveDays,
        RemovePattern = row.RemovePattern,
        MatchFullName = row.MatchFullName,
        KeepPulledDays = row.KeepPulledDays,
        CreatedUnix = row.CreatedUnix,
        UpdatedUnix = row.UpdatedUnix,
    };
}
